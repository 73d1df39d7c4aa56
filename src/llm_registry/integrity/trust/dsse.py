"""DSSE envelopes (Dead Simple Signing Envelope, v1), alone or inside a Sigstore bundle.

An envelope carries a payload (here an in-toto Statement, payload type
``application/vnd.in-toto+json``), its type, and signatures over
``PAE(type, payload) = "DSSEv1" SP len(type) SP type SP len(payload) SP payload``. What a client
sends is either the envelope itself (``{"payload", "payloadType", "signatures"}``) or a Sigstore
bundle around it (``{"mediaType", "verificationMaterial", "dsseEnvelope"}``), as OpenSSF model
signing writes one; both are read here, and a bundle can be written for their verifier.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llm_registry.errors import ValidationError

if TYPE_CHECKING:  # keys imports ``cryptography``, which only signing and verifying need
    from llm_registry.integrity.trust.keys import SigningKey, VerifyingKey

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPES = (
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
)
MAX_PAYLOAD = 4 * 1024 * 1024


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding: what a signature signs."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A DSSE envelope with exactly one signature, its payload decoded."""

    payload: bytes
    payload_type: str
    signature: bytes
    keyid: str
    # The key hint of the Sigstore bundle it came in (hex SHA-256 of the signer's PEM), if any.
    hint: str | None = None
    container: str = "dsse"

    def verifies_with(self, key: VerifyingKey) -> bool:
        return key.verify(self.signature, pae(self.payload_type, self.payload))

    def to_json(self) -> dict[str, Any]:
        """The envelope as DSSE's JSON (standard base64)."""
        return {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(self.signature).decode("ascii")}],
        }

    def to_bundle(self, key: VerifyingKey) -> dict[str, Any]:
        """A Sigstore bundle (v0.3, a public key hint and no transparency log entry) around the
        envelope: the signature file OpenSSF model signing verifies with ``verify key``."""
        return {
            "mediaType": BUNDLE_MEDIA_TYPES[0],
            "verificationMaterial": {"publicKey": {"hint": key.hint}, "tlogEntries": []},
            "dsseEnvelope": self.to_json(),
        }


def sign(payload: bytes, key: SigningKey, *, payload_type: str = IN_TOTO_PAYLOAD_TYPE) -> Envelope:
    """An envelope over ``payload`` signed by ``key`` (its keyid: the key's fingerprint)."""
    return Envelope(payload, payload_type, key.sign(pae(payload_type, payload)), key.public.fingerprint)


def read_envelope(data: object, *, field: str = "envelope") -> Envelope:
    """The envelope of a DSSE envelope or a Sigstore bundle (JSON, as a mapping); raises
    ValidationError (``invalid_envelope``) naming the field at fault."""
    if not isinstance(data, Mapping):
        raise _bad(f"expected a DSSE envelope or a Sigstore bundle (a JSON object), got {type(data).__name__}",
                   field)
    if "dsseEnvelope" in data or "mediaType" in data:
        return _read_bundle(data, field)
    return _read_dsse(data, field, prefix="")


def _read_bundle(data: Mapping[str, Any], field: str) -> Envelope:
    media_type = data.get("mediaType")
    if media_type not in BUNDLE_MEDIA_TYPES:
        raise _bad(f"unsupported Sigstore bundle media type {media_type!r}: expected "
                   f"{BUNDLE_MEDIA_TYPES[0]}", "mediaType")
    envelope = data.get("dsseEnvelope")
    if not isinstance(envelope, Mapping):
        raise _bad("the bundle holds no DSSE envelope (dsseEnvelope): a message signature cannot be attached",
                   "dsseEnvelope")
    material = data.get("verificationMaterial")
    hint = None
    if isinstance(material, Mapping) and isinstance(material.get("publicKey"), Mapping):
        given = material["publicKey"].get("hint")
        hint = given if isinstance(given, str) and given else None
    read = _read_dsse(envelope, field, prefix="dsseEnvelope.")
    return Envelope(read.payload, read.payload_type, read.signature, read.keyid, hint, container="sigstore-bundle")


def _read_dsse(data: Mapping[str, Any], field: str, *, prefix: str) -> Envelope:
    unknown = sorted(set(data) - {"payload", "payloadType", "signatures"})
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r} in a DSSE envelope", prefix + unknown[0])
    payload_type = data.get("payloadType")
    if not isinstance(payload_type, str) or not payload_type:
        raise _bad("payloadType: expected a media type", prefix + "payloadType")
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise _bad(f"payloadType {payload_type!r}: expected {IN_TOTO_PAYLOAD_TYPE} (an in-toto statement)",
                   prefix + "payloadType")
    payload = _base64(data.get("payload"), prefix + "payload")
    if len(payload) > MAX_PAYLOAD:
        raise _bad(f"the payload is larger than {MAX_PAYLOAD} bytes", prefix + "payload")
    signatures = data.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise _bad("signatures: expected a list with one signature", prefix + "signatures")
    if len(signatures) > 1:
        raise _bad("an envelope with one signature, please: attach each signer's envelope on its own",
                   prefix + "signatures")
    entry = signatures[0]
    where = prefix + "signatures[0]"
    if not isinstance(entry, Mapping):
        raise _bad("expected {keyid, sig}", where)
    unknown = sorted(set(entry) - {"keyid", "sig"})
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r} in a signature", f"{where}.{unknown[0]}")
    keyid = entry.get("keyid", "")
    if not isinstance(keyid, str) or len(keyid) > 256:
        raise _bad("keyid: expected a string (at most 256 characters)", f"{where}.keyid")
    signature = _base64(entry.get("sig"), f"{where}.sig")
    if not signature or len(signature) > 1024:
        raise _bad("sig: expected a signature (1 to 1024 bytes)", f"{where}.sig")
    return Envelope(payload, payload_type, signature, keyid)


def _base64(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise _bad("expected base64 text", field)
    text = value.strip()
    try:
        # Standard base64 as DSSE writes it; URL-safe base64 (which DSSE also allows) too.
        alphabet = "-_" if ("-" in text or "_" in text) else "+/"
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=alphabet.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise _bad("not valid base64", field) from None


def _bad(message: str, field: str) -> ValidationError:
    return ValidationError(message, code="invalid_envelope", field=field)
