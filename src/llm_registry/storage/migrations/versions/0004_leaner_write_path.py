"""leaner write path: versions as a rowid table on SQLite, fewer and partial indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 19:30:00.000000

Every registration writes one page per index it touches, and its COMMIT writes each page to the
log; reads descend each B-tree they use. This revision:

- SQLite: rebuilds ``versions`` as a rowid table. As a WITHOUT ROWID table a version row longer
  than about a thousand bytes (a spec with a model card) spilled into an overflow page that was
  mostly empty: the table took 4.5 KB per version, and every read of a version read two pages.
  The copy keeps every row, in id order.
- Drops ``ix_versions_created_at`` and ``ix_dependencies_target_asset_id``, which no query reads
  (searches by time read ``search_documents``; assets are never deleted).
- Makes ``ix_versions_precedence`` cover what resolving a range reads (status, prerelease flag,
  version text, id), so that walking an asset's versions reads only the index.
- Replaces the four ``is_current``-led search indexes with partial indexes over current
  documents: a version that stops being current leaves them, instead of moving inside each.

Both backends. On SQLite the runner holds foreign keys off for the whole upgrade and checks them
before committing (``storage.migrate``), as SQLite's own procedure for rebuilding a table asks.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD_PRECEDENCE = ["asset_id", "major", "minor", "patch", "prerelease_key"]
_NEW_PRECEDENCE = [*_OLD_PRECEDENCE, "status", "is_prerelease", "version", "id"]
# (old is_current-led index, its columns) -> (new partial index, its columns)
_SEARCH_INDEXES = [
    (("ix_search_documents_asset_id_is_current", ["asset_id", "is_current"]),
     ("ix_search_documents_current_asset_id", ["asset_id"])),
    (("ix_search_documents_is_current_created_at_doc_id", ["is_current", "created_at", "doc_id"]),
     ("ix_search_documents_current_created_at", ["created_at", "doc_id"])),
    (("ix_search_documents_is_current_updated_at_doc_id", ["is_current", "updated_at", "doc_id"]),
     ("ix_search_documents_current_updated_at", ["updated_at", "doc_id"])),
    (("ix_search_documents_is_current_name_namespace_kind_doc_id",
      ["is_current", "name", "namespace", "kind", "doc_id"]),
     ("ix_search_documents_current_name", ["name", "namespace", "kind", "doc_id"])),
]


def _current_only() -> dict[str, Any]:
    # The same condition the search queries write (``is_current = 1`` on SQLite, where booleans
    # are integers), so that SQLite sees that a query's rows are all in the index.
    return {"sqlite_where": sa.text("is_current = 1"), "postgresql_where": sa.text("is_current")}


def _rebuild_versions(with_rowid: bool) -> None:
    """SQLite: copy ``versions`` into a table of the same definition with or without rowids."""
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # Dropping the old table would cascade to every dependency, alias and label revision.
        raise RuntimeError("rebuilding versions needs foreign keys off: migrate with llm_registry.storage.migrate")
    (create,) = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'versions'")).one()
    # The definition as stored (``versions`` is quoted once a rename wrote it), minus its name.
    columns = re.sub(r'^CREATE TABLE "?versions"?\s*', "", create.strip()).removesuffix("WITHOUT ROWID").rstrip()
    assert columns.startswith("("), create
    assert columns.endswith(")"), create
    op.execute(f"CREATE TABLE _versions_rebuilt {columns}{'' if with_rowid else ' WITHOUT ROWID'}")
    op.execute("INSERT INTO _versions_rebuilt SELECT * FROM versions ORDER BY id")
    op.execute("DROP TABLE versions")  # and its indexes; foreign keys are off, so no cascade
    op.execute("ALTER TABLE _versions_rebuilt RENAME TO versions")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _rebuild_versions(with_rowid=True)
    else:
        op.drop_index("ix_versions_created_at", table_name="versions")
        op.drop_index("ix_versions_precedence", table_name="versions")
    op.create_index("ix_versions_precedence", "versions", _NEW_PRECEDENCE)
    if sqlite:
        op.create_index("ix_versions_asset_id_digest", "versions", ["asset_id", "digest"])
    op.drop_index("ix_dependencies_target_asset_id", table_name="dependencies")
    for (old, _), (new, columns) in _SEARCH_INDEXES:
        op.drop_index(old, table_name="search_documents")
        op.create_index(new, "search_documents", columns, **_current_only())


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for (old, old_columns), (new, _) in _SEARCH_INDEXES:
        op.drop_index(new, table_name="search_documents")
        op.create_index(old, "search_documents", old_columns)
    op.create_index("ix_dependencies_target_asset_id", "dependencies", ["target_asset_id"])
    if sqlite:
        _rebuild_versions(with_rowid=False)
        op.create_index("ix_versions_asset_id_digest", "versions", ["asset_id", "digest"])
    else:
        op.drop_index("ix_versions_precedence", table_name="versions")
    op.create_index("ix_versions_created_at", "versions", ["created_at"])
    op.create_index("ix_versions_precedence", "versions", _OLD_PRECEDENCE)
