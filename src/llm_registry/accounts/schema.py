"""The accounts tables, declared on the shared ``metadata`` (imported by ``storage.tables``).

Secrets are never stored: passwords as argon2 hashes, refresh tokens and API keys as
SHA-256 digests of their random part (high-entropy secrets need no slow hash).
"""

from __future__ import annotations

import sqlalchemy as sa

from llm_registry.storage.schema import Id, Timestamp, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# One login = one session (a refresh-token family); logout or reuse of a spent refresh
# token revokes the session, and with it every access token that names it (`sid`).
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp),
    sa.Index(None, "user_id"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("session_id", Id, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("spent_at", Timestamp),
    sa.Index(None, "session_id"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("prefix", sa.String(32), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp),
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.Index(None, "user_id"),
)

# Who may write in a namespace. A namespace with no grant is open to every role allowed
# to write; once granted, only its grantees (and admins) write there.
namespace_grants = sa.Table(
    "namespace_grants",
    metadata,
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Index(None, "username"),
)
