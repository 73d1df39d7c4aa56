"""The relational schema, shared by SQLite and PostgreSQL (SQLAlchemy Core).

Timestamps are stored as fixed-width ISO-8601 UTC strings (``2026-01-02T03:04:05.000006Z``):
they sort correctly as text on both backends and need no conversion. JSON is JSONB on
PostgreSQL (so search can index spec paths) and text on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Tables keyed by text ids are WITHOUT ROWID on SQLite: one b-tree per table instead of a
# rowid table plus a primary-key index, so each registration dirties fewer pages.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Byte-wise ordering for the encoded SemVer prerelease key (SQLite's default is already binary).
BinaryText = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
Timestamp = sa.String(32)
Id = sa.String(26)  # ULID

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("namespace", sa.String(64), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.UniqueConstraint("kind", "namespace", "name"),
    sa.Index(None, "namespace", "name"),
    sqlite_with_rowid=False,
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.String(256), nullable=False),
    # The version without build metadata: unique per asset, so 1.0.0+a and 1.0.0+b conflict.
    sa.Column("version_key", sa.String(256), nullable=False),
    sa.Column("major", sa.BigInteger, nullable=False),
    sa.Column("minor", sa.BigInteger, nullable=False),
    sa.Column("patch", sa.BigInteger, nullable=False),
    sa.Column("prerelease_key", BinaryText, nullable=False),
    sa.Column("is_prerelease", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_message", sa.Text),
    sa.Column("replacement", sa.Text),
    sa.Column("digest", sa.String(71), nullable=False),
    # Digest of the immutable fields: an identical re-registration is recognised by it.
    sa.Column("document_digest", sa.String(71), nullable=False),
    sa.Column("spec", Json, nullable=False),
    sa.Column("content", Json),
    sa.Column("dependencies", Json, nullable=False),
    sa.Column("pins", Json, nullable=False),
    sa.Column("provenance", Json),
    sa.Column("labels", Json, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("asset_id", "version_key"),
    # SemVer order within an asset, covering what resolving a range reads (status, prerelease
    # flag, version text, id): walking an asset's versions never reads the wide rows.
    sa.Index(
        "ix_versions_precedence",
        "asset_id", "major", "minor", "patch", "prerelease_key", "status", "is_prerelease", "version", "id",
    ),
    sa.Index(None, "asset_id", "digest"),
    # A rowid table, unlike the others: a version row with a model card is longer than a
    # WITHOUT ROWID page keeps inline, and spilled into a mostly empty overflow page.
)

# Declared dependencies with their pins; lineage and impact follow target_version_id.
dependencies = sa.Table(
    "dependencies",
    metadata,
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("ref", sa.Text, nullable=False),
    sa.Column("relation", sa.String(32), nullable=False),
    sa.Column("target_asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    # NULL once the pinned version was deleted by force; the pin's text and digest remain.
    sa.Column("target_version_id", Id, sa.ForeignKey("versions.id", ondelete="SET NULL")),
    sa.Column("target_version", sa.String(256), nullable=False),
    sa.Column("target_digest", sa.String(71), nullable=False),
    sa.Index(None, "target_version_id"),
    sqlite_with_rowid=False,
)

# The asset-level dependency graph (derived from `dependencies`), kept so that the cycle
# check on every registration walks assets, not versions.
asset_edges = sa.Table(
    "asset_edges",
    metadata,
    sa.Column("from_asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("to_asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "to_asset_id"),
    sqlite_with_rowid=False,
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
    sa.Index(None, "version_id"),
    sqlite_with_rowid=False,
)

label_revisions = sa.Table(
    "label_revisions",
    metadata,
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("labels", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sqlite_with_rowid=False,
)

# The outbox: written in the same transaction as the change it records. `seq` orders
# the feed and is the cursor; `id` is the event's public ULID.
events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("id", Id, nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    # `kind:namespace/name` of the subject, so a feed can follow one asset.
    sa.Column("asset", sa.Text),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Index(None, "type", "seq"),
    sa.Index(None, "subject", "seq"),
    sa.Index(None, "asset", "seq"),
    sa.Index(None, "actor", "seq"),
    sa.Index(None, "created_at"),
)
