"""Keys of signers: Ed25519 and ECDSA (P-256, P-384, P-521) in PEM, through ``cryptography``.

A public key is known by its **fingerprint**, ``sha256:`` and the SHA-256 of its PEM
(SubjectPublicKeyInfo) as ``cryptography`` writes it: the same value OpenSSF model signing puts
in a bundle's ``verificationMaterial.publicKey.hint``, so a bundle of theirs names our signer.
ECDSA signatures are DER, hashed with SHA-256, SHA-384 or SHA-512 by curve size (as Sigstore
and model signing do); Ed25519 signatures are the raw 64 bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from llm_registry.errors import ValidationError

PublicKeyTypes = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKeyTypes = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

# Curve name -> (our algorithm name, the hash ECDSA signs with).
_CURVES: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    "secp256r1": ("ecdsa-p256", hashes.SHA256),
    "secp384r1": ("ecdsa-p384", hashes.SHA384),
    "secp521r1": ("ecdsa-p521", hashes.SHA512),
}
ALGORITHMS = ("ed25519", *(name for name, _ in _CURVES.values()))
MAX_PEM = 16_384


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    """A public key: its algorithm, PEM (as ``cryptography`` writes it) and fingerprint."""

    key: PublicKeyTypes
    algorithm: str
    pem: str
    fingerprint: str

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's over ``message``."""
        try:
            if isinstance(self.key, ed25519.Ed25519PublicKey):
                self.key.verify(signature, message)
            else:
                self.key.verify(signature, message, ec.ECDSA(_hash_of(self.key.curve)()))
        except InvalidSignature:
            return False
        return True

    @property
    def hint(self) -> str:
        """The fingerprint's hex digits (a Sigstore bundle's public key hint)."""
        return self.fingerprint.removeprefix("sha256:")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key, with the public key it pairs with."""

    key: PrivateKeyTypes
    public: VerifyingKey

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(message)
        return self.key.sign(message, ec.ECDSA(_hash_of(self.key.curve)()))


def _hash_of(curve: ec.EllipticCurve) -> type[hashes.HashAlgorithm]:
    return _CURVES[curve.name][1]


def _described(key: object, field: str) -> VerifyingKey:
    if isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = "ed25519"
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _CURVES:
        algorithm = _CURVES[key.curve.name][0]
    else:
        name = getattr(getattr(key, "curve", None), "name", None) or type(key).__name__
        raise ValidationError(
            f"unsupported key ({name}): use Ed25519 or ECDSA on P-256, P-384 or P-521",
            code="invalid_key", field=field,
        )
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return VerifyingKey(key, algorithm, pem.decode("ascii"), "sha256:" + hashlib.sha256(pem).hexdigest())


def _pem_bytes(pem: str | bytes, field: str) -> bytes:
    data = pem.encode("utf-8", "replace") if isinstance(pem, str) else pem
    if not data.strip():
        raise ValidationError("the key is empty: expected a PEM key", code="invalid_key", field=field)
    if len(data) > MAX_PEM:
        raise ValidationError(f"the key is longer than {MAX_PEM} bytes", code="invalid_key", field=field)
    if b"-----BEGIN " not in data:
        raise ValidationError("not a PEM key (no -----BEGIN line)", code="invalid_key", field=field)
    return data


def load_public_key(pem: str | bytes, *, field: str = "public_key") -> VerifyingKey:
    """The public key of a PEM ``PUBLIC KEY`` block; raises ValidationError (``invalid_key``)."""
    data = _pem_bytes(pem, field)
    if b"PRIVATE KEY-----" in data:
        raise ValidationError(
            "this is a private key: give the public key (never send a private key anywhere)",
            code="invalid_key", field=field,
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValidationError(f"malformed PEM public key: {exc}", code="invalid_key", field=field) from None
    return _described(key, field)


def load_private_key(pem: str | bytes, *, password: str | None = None, field: str = "key") -> SigningKey:
    """The private key of a PEM block (PKCS#8 or traditional EC, encrypted with ``password`` when
    it is); raises ValidationError (``invalid_key``)."""
    data = _pem_bytes(pem, field)
    try:
        key = serialization.load_pem_private_key(data, password.encode() if password is not None else None)
    except TypeError as exc:  # a password missing, or given for an unencrypted key
        raise ValidationError(f"cannot read the private key: {exc}", code="invalid_key", field=field) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValidationError(
            f"malformed PEM private key (or a wrong password): {exc}", code="invalid_key", field=field
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationError(
            f"unsupported key ({type(key).__name__}): use Ed25519 or ECDSA on P-256, P-384 or P-521",
            code="invalid_key", field=field,
        )
    return SigningKey(key, _described(key.public_key(), field))
