"""search: documents, popularity, SQLite FTS5 / PostgreSQL tsvector with GIN

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:10:00.000000

Expand-only: new tables (and on SQLite a virtual table), filled from the existing versions
so that a registry upgraded from 0001 finds what it already holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The four weighted text fields (name, tags, description, body: card and templates), and
# ``state``: "current" for the current version of an asset, which a default search matches.
FTS5_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(name, tags, description, body, state,"
    " tokenize = 'porter unicode61')"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_documents",
        sa.Column("doc_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.String(length=26), nullable=False),
        sa.Column("asset_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "tags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "spec", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "annotations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("tsv", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_search_documents_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_search_documents_version_id_versions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("version_id", name=op.f("uq_search_documents_version_id")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_documents_asset_id_is_current"), ["asset_id", "is_current"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_is_current_created_at_doc_id"),
            ["is_current", "created_at", "doc_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_is_current_updated_at_doc_id"),
            ["is_current", "updated_at", "doc_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_is_current_name_namespace_kind_doc_id"),
            ["is_current", "name", "namespace", "kind", "doc_id"],
            unique=False,
        )
        # The same orders over every version (all_versions), so deep pages stay cheap.
        batch_op.create_index(
            batch_op.f("ix_search_documents_created_at_doc_id"), ["created_at", "doc_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_updated_at_doc_id"), ["updated_at", "doc_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_name_namespace_kind_doc_id"),
            ["name", "namespace", "kind", "doc_id"],
            unique=False,
        )
    op.create_table(
        "search_popularity",
        sa.Column("asset_id", sa.String(length=26), nullable=False),
        sa.Column("pins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_search_popularity_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_search_popularity")),
    )
    if dialect == "postgresql":
        op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], postgresql_using="gin")
        # The default search looks at current versions only: a tenth of the documents.
        op.create_index(
            "ix_search_documents_tsv_current",
            "search_documents",
            ["tsv"],
            postgresql_using="gin",
            postgresql_where=sa.text("is_current"),
        )
    else:
        op.execute(FTS5_CREATE)
    _backfill(dialect)


def _backfill(dialect: str) -> None:
    """Index the versions registered before this revision (the same fields the service indexes)."""
    postgres = dialect == "postgresql"
    license_, description, tags, spec, annotations = (
        (
            "v.labels->>'license'",
            "v.labels->>'description'",
            "COALESCE(v.labels->'tags', '[]'::jsonb)",
            "v.spec - '{card,template,messages}'::text[]",
            "COALESCE(v.labels->'annotations', '{}'::jsonb)",
        )
        if postgres
        else (
            "json_extract(v.labels, '$.license')",
            "json_extract(v.labels, '$.description')",
            "COALESCE(json_extract(v.labels, '$.tags'), '[]')",
            "json_remove(v.spec, '$.card', '$.template', '$.messages')",
            "COALESCE(json_extract(v.labels, '$.annotations'), '{}')",
        )
    )
    op.execute(
        "INSERT INTO search_documents (version_id, asset_id, kind, namespace, name, version, status, license,"
        " description, tags, spec, annotations, is_current, created_at, updated_at)"
        f" SELECT v.id, v.asset_id, a.kind, a.namespace, a.name, v.version, v.status, {license_}, {description},"
        f" {tags}, {spec}, {annotations}, {'false' if postgres else '0'}, v.created_at, v.updated_at"
        " FROM versions v JOIN assets a ON a.id = v.asset_id"
    )
    release = "(c.status = 'active' AND NOT c.is_prerelease)"
    op.execute(
        "UPDATE search_documents SET is_current = COALESCE(version_id = (SELECT c.id FROM versions c"
        " WHERE c.asset_id = search_documents.asset_id AND c.status != 'yanked'"
        f" ORDER BY {release} DESC, c.major DESC, c.minor DESC, c.patch DESC, c.prerelease_key DESC LIMIT 1),"
        f" {'false' if postgres else '0'})"
    )
    op.execute(
        "INSERT INTO search_popularity (asset_id, pins)"
        " SELECT target_asset_id, COUNT(DISTINCT version_id) FROM dependencies GROUP BY target_asset_id"
    )
    if postgres:
        op.execute(
            "UPDATE search_documents d SET tsv ="
            " setweight(to_tsvector('english', d.namespace || ' ' || translate(d.name, '-_.', '   ')"
            " || ' ' || d.name), 'A')"
            " || setweight(to_tsvector('english', COALESCE((SELECT string_agg(t, ' ')"
            " FROM jsonb_array_elements_text(d.tags) t), '')), 'B')"
            " || setweight(to_tsvector('english', COALESCE(d.description, '')), 'C')"
            " || setweight(to_tsvector('english', COALESCE(v.spec->>'card', '') || ' '"
            " || COALESCE(v.spec->>'template', '')), 'D')"
            " FROM versions v WHERE v.id = d.version_id"
        )
    else:
        op.execute(
            "INSERT INTO search_fts (rowid, name, tags, description, body, state)"
            " SELECT d.doc_id, d.namespace || ' ' || replace(replace(replace(d.name, '-', ' '), '_', ' '), '.', ' ')"
            " || ' ' || d.name,"
            " COALESCE((SELECT group_concat(value, ' ') FROM json_each(d.tags)), ''),"
            " COALESCE(d.description, ''),"
            " COALESCE(json_extract(v.spec, '$.card'), '') || ' ' || COALESCE(json_extract(v.spec, '$.template'), ''),"
            " CASE WHEN d.is_current THEN 'current' ELSE '' END"
            " FROM search_documents d JOIN versions v ON v.id = d.version_id"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_index("ix_search_documents_tsv_current", table_name="search_documents")
        op.drop_index("ix_search_documents_tsv", table_name="search_documents")
    else:
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_popularity")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_documents_name_namespace_kind_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_updated_at_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_created_at_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_is_current_name_namespace_kind_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_is_current_updated_at_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_is_current_created_at_doc_id"))
        batch_op.drop_index(batch_op.f("ix_search_documents_asset_id_is_current"))
    op.drop_table("search_documents")
