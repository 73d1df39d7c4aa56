"""Signatures of versions: DSSE envelopes over an in-toto statement about the version's bytes,
each verified with a trusted signer's key when it is attached, and again whenever it is counted.

Attaching refuses, with nothing written: a malformed envelope (``invalid_envelope``) or statement
(``invalid_statement``), a key no signer has (``unknown_signer``), a revoked signer
(``signer_revoked``), a signature that does not verify with the signer's key, such as one whose
payload was changed (``invalid_signature``), and a statement about other bytes
(``subject_mismatch``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.models import VersionDocument
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.access import Actor
from llm_registry.domain.ids import new_id
from llm_registry.domain.references import Reference
from llm_registry.errors import ValidationError
from llm_registry.events.models import EventType
from llm_registry.integrity.trust.dsse import Envelope, read_envelope
from llm_registry.integrity.trust.interfaces import SignatureRow, SignerRow, TrustReader, TrustStore
from llm_registry.integrity.trust.models import Signature
from llm_registry.integrity.trust.statements import mismatches, parse_statement

if TYPE_CHECKING:
    from llm_registry.integrity.trust.keys import VerifyingKey


@functools.lru_cache(maxsize=256)
def public_key(pem: str) -> VerifyingKey:
    """The key of a stored signer (``cryptography`` is imported on first use, not with the services)."""
    from llm_registry.integrity.trust.keys import load_public_key

    return load_public_key(pem)


def signature_of(row: SignatureRow, signer: SignerRow, ref: str) -> Signature:
    return Signature(
        id=row.id, ref=ref, signer=signer.name, fingerprint=signer.fingerprint, format=row.format,
        predicate_type=row.predicate_type, envelope=row.envelope, created_at=row.created_at,
        created_by=row.created_by, signer_revoked_at=signer.revoked_at,
    )


@dataclass(frozen=True, slots=True)
class SignatureStanding:
    """Whether one stored signature counts now: its signer unrevoked, its signature verifying
    with the signer's key, its statement about the version's bytes."""

    signature: Signature
    counts: bool
    message: str


def payload_field(envelope: Envelope, part: str = "payload") -> str:
    """The field of the request that holds ``part`` of the envelope."""
    return ("dsseEnvelope." if envelope.container == "sigstore-bundle" else "") + part


def identify_signer(tx: TrustReader, envelope: Envelope) -> SignerRow:
    """The trusted signer whose key verifies the envelope (named by its keyid or bundle hint, else
    any signer's); raises ValidationError: ``unknown_signer``, ``signer_revoked`` or
    ``invalid_signature``."""
    named = _named_signer(tx, envelope)
    candidates = [named] if named is not None else tx.list_signers()
    verified = [row for row in candidates if envelope.verifies_with(public_key(row.public_key))]
    trusted = [row for row in verified if row.revoked_at is None]
    if trusted:
        return trusted[0]
    sig_field = payload_field(envelope, "signatures[0].sig")
    if verified:
        row = verified[0]
        raise ValidationError(
            f"signed by signer {row.name!r}, revoked at {row.revoked_at}: its signatures no longer count",
            code="signer_revoked", field=sig_field,
        )
    if named is not None:
        raise ValidationError(
            f"the signature does not verify with signer {named.name!r}'s key ({named.fingerprint}): the payload "
            "or the signature was changed", code="invalid_signature", field=sig_field,
        )
    key = _fingerprint_named(envelope)
    if key is not None:
        raise ValidationError(f"no signer has the key {key}: add it with `signers add` first",
                              code="unknown_signer", field=sig_field)
    raise ValidationError(
        "no signer's key verifies this signature: it is by an unknown key, or its payload was changed",
        code="unknown_signer", field=sig_field,
    )


def _fingerprint_named(envelope: Envelope) -> str | None:
    """The fingerprint the envelope names (its keyid or bundle hint), when it names one."""
    for given in (envelope.keyid, envelope.hint):
        text = (given or "").strip().lower().removeprefix("sha256:")
        if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
            return "sha256:" + text
    return None


def _named_signer(tx: TrustReader, envelope: Envelope) -> SignerRow | None:
    fingerprint = _fingerprint_named(envelope)
    return tx.find_signer_by_fingerprint(fingerprint) if fingerprint is not None else None


def standing_of(signature: SignatureRow, signer: SignerRow, version: VersionDocument) -> SignatureStanding:
    """How a stored signature stands now (re-verified: a stored row is not taken on trust)."""
    answer = signature_of(signature, signer, version.ref)
    if signer.revoked_at is not None:
        return SignatureStanding(answer, False, f"signer {signer.name!r} was revoked at {signer.revoked_at}: "
                                                "its signatures no longer count")
    try:
        envelope = read_envelope(signature.envelope)
        statement = parse_statement(envelope.payload)
    except ValidationError as error:
        return SignatureStanding(answer, False, f"the stored envelope is unreadable: {error.message}")
    if not envelope.verifies_with(public_key(signer.public_key)):
        return SignatureStanding(answer, False, f"does not verify with signer {signer.name!r}'s key")
    problems = mismatches(statement, version)
    if problems:
        return SignatureStanding(answer, False, "not about these bytes: " + "; ".join(problems))
    return SignatureStanding(answer, True, f"valid {signature.format} signature by {signer.name!r} "
                                           f"({signer.algorithm}, {signer.fingerprint})")


class SignatureService:
    def __init__(self, store: TrustStore, context: AssetContext) -> None:
        self.store = store
        self.context = context

    def add_signature(
        self, ref: str | Reference, envelope: Mapping[str, Any], *, actor: Actor
    ) -> tuple[Signature, bool]:
        """Attach a DSSE envelope (or a Sigstore bundle around one) to the version ``ref`` chooses:
        (the signature, whether it was added now; the same envelope again changes nothing).
        Raises ValidationError (see the module), NotFoundError, ForbiddenError."""
        parsed = self.context.parse_reference(ref)
        now = self.context.now()
        with self.store.write() as tx:
            row = get_by_reference(tx.assets, parsed)
            self.context.authorize(actor, "assets:update", namespace=row.namespace, owner=row.created_by)
            read = read_envelope(envelope)
            statement = parse_statement(read.payload, field=payload_field(read))
            version = documents.to_document(row)
            signer = identify_signer(tx, read)
            problems = mismatches(statement, version)
            if problems:
                raise ValidationError(
                    f"the statement is not about the bytes of {version.ref}: " + "; ".join(problems),
                    code="subject_mismatch", field=payload_field(read), details={"problems": problems},
                )
            digest = "sha256:" + hashlib.sha256(read.payload).hexdigest()
            existing = tx.find_signature(row.id, signer.id, digest)
            if existing is not None:
                return signature_of(existing, signer, version.ref), False
            stored = SignatureRow(new_id(), row.id, signer.id, statement.format, statement.predicate_type, digest,
                                  read.to_json(), now, actor.name)
            tx.insert_signature(stored)
            tx.append_event(
                type=EventType.SIGNATURE_ADDED, subject=version.ref, asset=str(parsed.asset), actor=actor.name,
                at=now, payload={"signature": stored.id, "signer": signer.name, "fingerprint": signer.fingerprint,
                                 "format": statement.format},
            )
        return signature_of(stored, signer, version.ref), True

    def list_signatures(self, ref: str | Reference) -> list[Signature]:
        """The signatures of the version ``ref`` chooses, oldest first (revoked signers' too)."""
        parsed = self.context.parse_reference(ref)
        with self.store.read() as tx:
            row = get_by_reference(tx.assets, parsed)
            ref_text = f"{row.kind.value}:{row.namespace}/{row.name}@{row.version}"
            return [signature_of(s, signer, ref_text) for s, signer in tx.list_signatures(row.id)]

    def standings(self, tx: TrustReader, version: VersionDocument) -> list[SignatureStanding]:
        """How each signature of ``version`` stands now."""
        return [standing_of(s, signer, version) for s, signer in tx.list_signatures(version.id)]
