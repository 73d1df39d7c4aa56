"""Stored rows as the API shows them, and the one lookup every accounts service shares."""

from __future__ import annotations

from llm_registry.accounts.interfaces import AccountTransaction, ApiKeyRow, GrantRow, UserRow
from llm_registry.accounts.models import ApiKey, NamespaceGrant, User
from llm_registry.domain.access import Role
from llm_registry.errors import NotFoundError


def user_of(row: UserRow) -> User:
    return User(
        username=row.username, role=Role(row.role), disabled=row.disabled, created_at=row.created_at,
        created_by=row.created_by, updated_at=row.updated_at,
    )


def api_key_of(row: ApiKeyRow) -> ApiKey:
    """The key without its secret (only its digest is stored anyway)."""
    return ApiKey(
        id=row.id, name=row.name, prefix=row.prefix, owner=row.username, role=Role(row.role),
        created_at=row.created_at, expires_at=row.expires_at, last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def grant_of(row: GrantRow) -> NamespaceGrant:
    return NamespaceGrant(namespace=row.namespace, username=row.username, created_at=row.created_at,
                          created_by=row.created_by)


def get_user_row(tx: AccountTransaction, username: str) -> UserRow:
    """The user's row; raises NotFoundError when there is no such user."""
    row = tx.find_user(username)
    if row is None:
        raise NotFoundError(f"no user {username!r}", field="username")
    return row
