"""What the trust services answer: signers, signatures, provenance and verification reports."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Signer(BaseModel):
    """A trusted key, by name. A revoked signer's signatures stop counting (they are kept)."""

    name: str
    algorithm: str
    fingerprint: str
    public_key: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None


class Signature(BaseModel):
    """A DSSE envelope attached to a version, verified when it was added by ``signer``'s key."""

    id: str
    ref: str
    signer: str
    fingerprint: str
    format: str
    predicate_type: str
    envelope: dict[str, Any]
    created_at: str
    created_by: str
    signer_revoked_at: str | None = None


class CheckStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    WARNING = "warning"


class Check(BaseModel):
    """One line of a verification: what was checked (``check``, ``subject``) and how it went."""

    check: str
    subject: str
    status: CheckStatus
    message: str


class MaterialCheck(BaseModel):
    """A pinned dependency of the version, looked for among a provenance's materials."""

    ref: str
    digest: str
    status: str  # ok | missing | mismatch
    message: str


class ProvenanceCheck(BaseModel):
    """How an attached provenance statement fits its version: its subjects name the version's
    bytes, and its materials hold the digest of every pinned dependency."""

    ok: bool
    subjects_ok: bool
    problems: list[str]
    materials: list[MaterialCheck]


class Provenance(BaseModel):
    """An in-toto/SLSA provenance statement attached to a version (apart from the document's own
    ``provenance``, given at registration and immutable)."""

    id: str
    ref: str
    predicate_type: str
    builder: str | None = None
    statement: dict[str, Any]
    envelope: dict[str, Any] | None = None
    signer: str | None = None
    created_at: str
    created_by: str
    check: ProvenanceCheck


class VerificationReport(BaseModel):
    """Every check of ``verify``: ``ok`` unless one failed."""

    ref: str
    digest: str
    ok: bool
    checks: list[Check]

    @classmethod
    def of(cls, ref: str, digest: str, checks: list[Check]) -> VerificationReport:
        return cls(ref=ref, digest=digest, checks=checks,
                   ok=all(c.status is not CheckStatus.FAILED for c in checks))
