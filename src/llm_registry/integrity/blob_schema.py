"""The table of the files each version declares (``content.files``), kept with the version.

It answers which versions hold a digest, in one indexed read: what the garbage collector asks
before it removes a blob. Rows are written in the registration's transaction and go with their
version (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlalchemy as sa

from llm_registry.storage.schema import Id, metadata

version_files = sa.Table(
    "version_files",
    metadata,
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("digest", sa.String(71), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Index(None, "digest"),
    sqlite_with_rowid=False,
)
