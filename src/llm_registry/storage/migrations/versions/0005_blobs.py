"""blobs: the files of each version, indexed by digest

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00.000000

Adds ``version_files`` (version, path, digest, size): the ``content.files`` of every version, so
that the garbage collector of the blob store asks in one indexed read whether a digest is still
held by some version. New registrations fill it in their own transaction; this revision fills it
for the versions registered before it, reading their content in batches. Expand-only: an older
release may serve on while it runs, but the versions it registers get no rows here, so run
``llm-registry gc`` only once every server runs this release.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 1000


def _content(value: Any) -> Any:
    # Text on SQLite, already parsed (JSONB) on PostgreSQL.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _rows(version_id: str, content: Any) -> list[dict[str, Any]]:
    files = content.get("files") if isinstance(content, dict) else None
    rows: dict[str, dict[str, Any]] = {}
    for entry in files or []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"] not in rows:
            rows[entry["path"]] = {"version_id": version_id, "path": entry["path"], "digest": str(entry["digest"]),
                                   "size": int(entry["size"])}
    return list(rows.values())


def upgrade() -> None:
    table = op.create_table(
        "version_files",
        sa.Column("version_id", sa.String(length=26), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_version_files_version_id_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "path", name=op.f("pk_version_files")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_version_files_digest"), "version_files", ["digest"], unique=False)
    assert table is not None
    bind = op.get_bind()
    versions = sa.table("versions", sa.column("id", sa.String), sa.column("content", sa.JSON))
    after = ""
    while True:
        batch = bind.execute(
            sa.select(versions.c.id, sa.cast(versions.c.content, sa.Text))
            .where(versions.c.id > after, versions.c.content.is_not(None))
            .order_by(versions.c.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        rows = [row for version_id, content in batch for row in _rows(version_id, _content(content))]
        if rows:
            bind.execute(table.insert(), rows)
        after = batch[-1][0]


def downgrade() -> None:
    op.drop_index(op.f("ix_version_files_digest"), table_name="version_files")
    op.drop_table("version_files")
