"""Trust in SQL (SQLite and PostgreSQL alike), inside the asset store's transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.store_sql import SqlAssetStore, SqlTransaction
from llm_registry.integrity.trust.interfaces import ProvenanceRow, SignatureRow, SignedVersion, SignerRow
from llm_registry.integrity.trust.schema import provenance_statements, signatures, signers
from llm_registry.storage.schema import assets, versions

_SIGNER_COLUMNS = [c.label(f"signer__{c.name}") for c in signers.c]


def _signer(row: Any, prefix: str = "") -> SignerRow:
    m = row._mapping
    return SignerRow(*(m[f"{prefix}{c.name}"] for c in signers.c))


def _signature(row: Any) -> SignatureRow:
    m = row._mapping
    return SignatureRow(*(m[c.name] for c in signatures.c))


def _provenance(row: Any) -> ProvenanceRow:
    m = row._mapping
    return ProvenanceRow(*(m[c.name] for c in provenance_statements.c))


def _values(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


class SqlTrustTransaction:
    """Implements TrustWriter (and so TrustReader) on one asset-store transaction."""

    def __init__(self, tx: SqlTransaction) -> None:
        self.tx = tx
        self.connection = tx.connection

    @property
    def assets(self) -> SqlTransaction:
        return self.tx

    # --------------------------------------------------------------- signers
    def find_signer(self, name: str) -> SignerRow | None:
        row = self.connection.execute(sa.select(signers).where(signers.c.name == name)).first()
        return _signer(row) if row else None

    def find_signer_by_fingerprint(self, fingerprint: str) -> SignerRow | None:
        row = self.connection.execute(sa.select(signers).where(signers.c.fingerprint == fingerprint)).first()
        return _signer(row) if row else None

    def list_signers(self) -> list[SignerRow]:
        return [_signer(r) for r in self.connection.execute(sa.select(signers).order_by(signers.c.name))]

    def insert_signer(self, row: SignerRow) -> None:
        self.connection.execute(signers.insert().values(**_values(row)))

    def revoke_signer(self, signer_id: str, at: str, by: str) -> None:
        self.connection.execute(
            signers.update().where(signers.c.id == signer_id, signers.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by)
        )

    # ------------------------------------------------------------ signatures
    def list_signatures(self, version_id: str) -> list[tuple[SignatureRow, SignerRow]]:
        query = (
            sa.select(*signatures.c, *_SIGNER_COLUMNS)
            .join_from(signatures, signers, signers.c.id == signatures.c.signer_id)
            .where(signatures.c.version_id == version_id)
            .order_by(signatures.c.id)
        )
        return [(_signature(r), _signer(r, "signer__")) for r in self.connection.execute(query)]

    def find_signature(self, version_id: str, signer_id: str, payload_digest: str) -> SignatureRow | None:
        row = self.connection.execute(
            sa.select(signatures).where(
                signatures.c.version_id == version_id, signatures.c.signer_id == signer_id,
                signatures.c.payload_digest == payload_digest,
            )
        ).first()
        return _signature(row) if row else None

    def insert_signature(self, row: SignatureRow) -> None:
        self.connection.execute(signatures.insert().values(**_values(row)))

    def list_signed_versions(self, signer_id: str) -> list[SignedVersion]:
        query = (
            sa.select(signatures.c.id, assets.c.kind, assets.c.namespace, assets.c.name, versions.c.version)
            .join_from(signatures, versions, versions.c.id == signatures.c.version_id)
            .join(assets, assets.c.id == versions.c.asset_id)
            .where(signatures.c.signer_id == signer_id)
            .order_by(signatures.c.id)
        )
        return [SignedVersion(*r) for r in self.connection.execute(query)]

    # ------------------------------------------------------------ provenance
    def list_provenance(self, version_id: str) -> list[ProvenanceRow]:
        query = (sa.select(provenance_statements).where(provenance_statements.c.version_id == version_id)
                 .order_by(provenance_statements.c.id))
        return [_provenance(r) for r in self.connection.execute(query)]

    def find_provenance(self, version_id: str, statement_digest: str) -> ProvenanceRow | None:
        row = self.connection.execute(
            sa.select(provenance_statements).where(
                provenance_statements.c.version_id == version_id,
                provenance_statements.c.statement_digest == statement_digest,
            )
        ).first()
        return _provenance(row) if row else None

    def insert_provenance(self, row: ProvenanceRow) -> None:
        self.connection.execute(provenance_statements.insert().values(**_values(row)))

    def append_event(
        self, *, type: str, subject: str, asset: str | None, actor: str, at: str, payload: dict[str, Any]
    ) -> None:
        self.tx.append_event(type=type, subject=subject, asset=asset, actor=actor, at=at, payload=payload)


class SqlTrustStore:
    """Trust transactions over an asset store's connections (SQLite or PostgreSQL)."""

    def __init__(self, asset_store: SqlAssetStore) -> None:
        self.asset_store = asset_store

    @contextmanager
    def read(self) -> Iterator[SqlTrustTransaction]:
        with self.asset_store.read() as tx:
            yield SqlTrustTransaction(tx)

    @contextmanager
    def write(self) -> Iterator[SqlTrustTransaction]:
        with self.asset_store.write() as tx:
            yield SqlTrustTransaction(tx)
