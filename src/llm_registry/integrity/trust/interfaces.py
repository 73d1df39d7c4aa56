"""The storage contract of trust: signers, signatures and attached provenance, read and written in
the asset store's transactions (so a signature, its version's lookup and its event commit together).

Each transaction also gives the asset reader or writer it runs in (``assets``): the services
resolve references and lock assets with it, inside the same transaction.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from llm_registry.assets.interfaces import AssetReader, AssetWriter


@dataclass(frozen=True, slots=True)
class SignerRow:
    id: str
    name: str
    fingerprint: str
    algorithm: str
    public_key: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None


@dataclass(frozen=True, slots=True)
class SignatureRow:
    id: str
    version_id: str
    signer_id: str
    format: str
    predicate_type: str
    payload_digest: str
    envelope: dict[str, Any]
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class ProvenanceRow:
    id: str
    version_id: str
    statement_digest: str
    predicate_type: str
    statement: dict[str, Any]
    envelope: dict[str, Any] | None
    signer_id: str | None
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class SignedVersion:
    """A version that a signer's signature is on (what its revocation touches)."""

    signature_id: str
    kind: str
    namespace: str
    name: str
    version: str


class TrustReader(Protocol):
    @property
    def assets(self) -> AssetReader: ...

    def find_signer(self, name: str) -> SignerRow | None: ...

    def find_signer_by_fingerprint(self, fingerprint: str) -> SignerRow | None: ...

    def list_signers(self) -> list[SignerRow]:
        """Every signer (revoked ones too), by name."""
        ...

    def list_signatures(self, version_id: str) -> list[tuple[SignatureRow, SignerRow]]:
        """The version's signatures with their signers, oldest first (one query)."""
        ...

    def find_signature(self, version_id: str, signer_id: str, payload_digest: str) -> SignatureRow | None: ...

    def list_provenance(self, version_id: str) -> list[ProvenanceRow]:
        """The provenance statements attached to the version, oldest first."""
        ...

    def find_provenance(self, version_id: str, statement_digest: str) -> ProvenanceRow | None: ...


class TrustWriter(TrustReader, Protocol):
    @property
    def assets(self) -> AssetWriter: ...

    def insert_signer(self, row: SignerRow) -> None: ...

    def revoke_signer(self, signer_id: str, at: str, by: str) -> None: ...

    def insert_signature(self, row: SignatureRow) -> None: ...

    def insert_provenance(self, row: ProvenanceRow) -> None: ...

    def list_signed_versions(self, signer_id: str) -> list[SignedVersion]:
        """Every version the signer's signatures are on, with the signature's id."""
        ...

    def append_event(
        self, *, type: str, subject: str, asset: str | None, actor: str, at: str, payload: dict[str, Any]
    ) -> None: ...


class TrustStore(Protocol):
    def read(self) -> AbstractContextManager[TrustReader]: ...

    def write(self) -> AbstractContextManager[TrustWriter]: ...
