"""governance: evaluations, approval requests, registration counts per namespace and day

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:00:00.000000

Only new tables: safe to apply while an older release still serves (expand-only). The counts
start empty: versions registered before the upgrade are not counted in ``stats``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.String(length=26)
_TIME = sa.String(length=32)


def _version_fk(column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["versions.id"], name=op.f(f"fk_evaluations_{column}_versions"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("suite_version_id", _ID, nullable=True),
        sa.Column("suite", sa.Text(), nullable=False),
        sa.Column("dataset_version_id", _ID, nullable=True),
        sa.Column("dataset", sa.Text(), nullable=True),
        sa.Column("prompt_version_id", _ID, nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("details", _JSON, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        _version_fk("dataset_version_id", "SET NULL"),
        _version_fk("prompt_version_id", "SET NULL"),
        _version_fk("suite_version_id", "SET NULL"),
        _version_fk("version_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_version_id_id"), ["version_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evaluations_suite_version_id_id"), ["suite_version_id", "id"], unique=False
        )
    op.create_table(
        "approvals",
        sa.Column("id", _ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("request", _JSON, nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", _TIME, nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_state_id"), ["state", "id"], unique=False)
    op.create_table(
        "registration_counts",
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("registrations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "day", name=op.f("pk_registration_counts")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("registration_counts")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_state_id"))
    op.drop_table("approvals")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_suite_version_id_id"))
        batch_op.drop_index(batch_op.f("ix_evaluations_version_id_id"))
    op.drop_table("evaluations")
