"""The governance tables, declared on the shared ``metadata`` (imported by ``storage.tables``).

``evaluations`` go with the version they score (deleting it deletes them); the suite, dataset
and prompt versions keep their references when deleted. ``approvals`` keep the change they hold
as data (``request``), replayed when approved. ``registration_counts`` is kept by every
registration, so ``stats`` in a rule costs one indexed read, however many versions there are.
"""

from __future__ import annotations

import sqlalchemy as sa

from llm_registry.storage.schema import Id, Json, Timestamp, metadata

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),  # kind:ns/name@version of the scored version
    sa.Column("suite_version_id", Id, sa.ForeignKey("versions.id", ondelete="SET NULL")),
    sa.Column("suite", sa.Text, nullable=False),
    sa.Column("dataset_version_id", Id, sa.ForeignKey("versions.id", ondelete="SET NULL")),
    sa.Column("dataset", sa.Text),
    sa.Column("prompt_version_id", Id, sa.ForeignKey("versions.id", ondelete="SET NULL")),
    sa.Column("prompt", sa.Text),
    sa.Column("metrics", Json, nullable=False),
    sa.Column("details", Json),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Index(None, "version_id", "id"),
    sa.Index(None, "suite_version_id", "id"),
)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # pending → approved | rejected | failed (approved, but the change no longer applied)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("namespace", sa.String(64), nullable=False),
    sa.Column("request", Json, nullable=False),
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("requested_at", Timestamp, nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", Timestamp),
    sa.Column("comment", sa.Text),
    sa.Column("failure", sa.Text),
    sa.Index(None, "state", "id"),
)

registration_counts = sa.Table(
    "registration_counts",
    metadata,
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),  # YYYY-MM-DD, UTC
    sa.Column("registrations", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
