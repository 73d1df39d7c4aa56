"""The search tables, on the shared metadata (imported by ``storage.tables``).

``search_documents`` holds one row per version with the columns search filters, sorts and
facets on, kept current in the registration's own transaction, so that a search reads this
one table and never the wide ``versions`` rows. Its integer ``doc_id`` is the rowid of the
SQLite FTS5 table ``search_fts`` (created by migration 0002, not modelled here; its
``state`` column holds ``current`` for current documents, so that the default search
matches only those); on PostgreSQL the weighted ``tsv`` column does the same job with two
GIN indexes, one over every version and a partial one over current versions (``tsv`` stays
NULL on SQLite, where FTS5 holds the text).

Every listing order has an index twice: a partial one over current documents for the default
search (the current version of each asset), and one over every document for ``all_versions``,
so that a page deep in a cursor costs what the first page costs. A version that stops being
current only leaves the partial indexes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from llm_registry.storage.schema import Id, Json, Timestamp, metadata

Tsvector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
DocId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
# Spec fields holding long text: indexed as the full-text body, and left out of the spec copy
# in search_documents (a filter or facet on them reads versions.spec).
BODY_KEYS = ("card", "template", "messages")
_CURRENT_ONLY: dict[str, Any] = {"sqlite_where": sa.text("is_current = 1"), "postgresql_where": sa.text("is_current")}

search_documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("doc_id", DocId, primary_key=True, autoincrement=True),
    sa.Column("version_id", Id, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("namespace", sa.String(64), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("version", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("license", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("tags", Json, nullable=False),
    # The version's spec without the long texts that go to the full-text body (BODY_KEYS:
    # card, template, messages), and its annotations: what filters and facets read.
    sa.Column("spec", Json, nullable=False),
    sa.Column("annotations", Json, nullable=False),
    # The version a search shows for its asset by default: the highest non-yanked one,
    # active releases first (see docs/search.md).
    sa.Column("is_current", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("tsv", Tsvector),
    # Partial indexes over current documents (``is_current = 1``, as the queries say it on SQLite).
    sa.Index("ix_search_documents_current_asset_id", "asset_id", **_CURRENT_ONLY),
    sa.Index("ix_search_documents_current_created_at", "created_at", "doc_id", **_CURRENT_ONLY),
    sa.Index("ix_search_documents_current_updated_at", "updated_at", "doc_id", **_CURRENT_ONLY),
    sa.Index("ix_search_documents_current_name", "name", "namespace", "kind", "doc_id", **_CURRENT_ONLY),
    sa.Index(None, "created_at", "doc_id"),
    sa.Index(None, "updated_at", "doc_id"),
    sa.Index(None, "name", "namespace", "kind", "doc_id"),
    sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin").ddl_if(dialect="postgresql"),
    sa.Index(
        "ix_search_documents_tsv_current", "tsv", postgresql_using="gin", postgresql_where=sa.text("is_current")
    ).ddl_if(dialect="postgresql"),
)

# Popularity of an asset: how many versions pin one of its versions (kept by the index).
search_popularity = sa.Table(
    "search_popularity",
    metadata,
    sa.Column("asset_id", Id, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("pins", sa.Integer, nullable=False),
)
