"""signatures: trusted signers, signatures of versions, attached provenance

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00.000000

Only new tables: safe to apply while an older release still serves (expand-only). Signers are
never deleted; signatures and attached provenance go with their version.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "signers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=71), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signers")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signers_fingerprint")),
        sa.UniqueConstraint("name", name=op.f("uq_signers_name")),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("version_id", sa.String(length=26), nullable=False),
        sa.Column("signer_id", sa.String(length=26), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("predicate_type", sa.Text(), nullable=False),
        sa.Column("payload_digest", sa.String(length=71), nullable=False),
        sa.Column("envelope", _JSON, nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["signer_id"], ["signers.id"], name=op.f("fk_signatures_signer_id_signers")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_signatures_version_id_versions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint(
            "version_id", "signer_id", "payload_digest", name=op.f("uq_signatures_version_id_signer_id_payload_digest")
        ),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatures_signer_id"), ["signer_id"], unique=False)
    op.create_table(
        "provenance_statements",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("version_id", sa.String(length=26), nullable=False),
        sa.Column("statement_digest", sa.String(length=71), nullable=False),
        sa.Column("predicate_type", sa.Text(), nullable=False),
        sa.Column("statement", _JSON, nullable=False),
        sa.Column("envelope", _JSON, nullable=True),
        sa.Column("signer_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signer_id"], ["signers.id"], name=op.f("fk_provenance_statements_signer_id_signers")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_provenance_statements_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_statements")),
        sa.UniqueConstraint(
            "version_id", "statement_digest", name=op.f("uq_provenance_statements_version_id_statement_digest")
        ),
    )


def downgrade() -> None:
    op.drop_table("provenance_statements")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_signer_id"))
    op.drop_table("signatures")
    op.drop_table("signers")
