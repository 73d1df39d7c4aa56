"""The trust tables, declared on the shared ``metadata`` (imported by ``storage.tables``).

Signers are never deleted (a signature keeps naming its signer): revoking one records when and
by whom. Signatures and attached provenance go with their version (deleting a version, an admin
act with its event, deletes them).
"""

from __future__ import annotations

import sqlalchemy as sa

from llm_registry.storage.schema import Id, Json, Timestamp, metadata

signers = sa.Table(
    "signers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    # ``sha256:`` + the SHA-256 of the PEM public key (a model signing bundle's key hint).
    sa.Column("fingerprint", sa.String(71), nullable=False, unique=True),
    sa.Column("algorithm", sa.String(16), nullable=False),
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Column("revoked_by", sa.Text),
)

signatures = sa.Table(
    "signatures",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("signer_id", Id, sa.ForeignKey("signers.id"), nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("predicate_type", sa.Text, nullable=False),
    # The SHA-256 of the signed payload: the same envelope attached twice is stored once.
    sa.Column("payload_digest", sa.String(71), nullable=False),
    sa.Column("envelope", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.UniqueConstraint("version_id", "signer_id", "payload_digest"),
    sa.Index(None, "signer_id"),
)

provenance_statements = sa.Table(
    "provenance_statements",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("statement_digest", sa.String(71), nullable=False),
    sa.Column("predicate_type", sa.Text, nullable=False),
    sa.Column("statement", Json, nullable=False),
    # The DSSE envelope the statement came in, and the trusted signer whose key verified it.
    sa.Column("envelope", Json),
    sa.Column("signer_id", Id, sa.ForeignKey("signers.id")),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.UniqueConstraint("version_id", "statement_digest"),
)
