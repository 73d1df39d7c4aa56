"""The storage contract for accounts: rows, and the primitives a transaction offers.

All rules live in ``AccountService``; a ``write()`` transaction commits the change and its
event together (the accounts tables share the database and the outbox of the assets).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    username: str
    password_hash: str
    role: str
    disabled: bool
    created_at: str
    created_by: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    user_id: str
    created_at: str
    expires_at: str
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class RefreshTokenRow:
    id: str
    session_id: str
    secret_hash: str
    created_at: str
    expires_at: str
    spent_at: str | None


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: str
    prefix: str
    secret_hash: str
    name: str
    user_id: str
    username: str
    role: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    # The owner's current state: a key never outlives or outranks the user it acts for.
    owner_role: str = ""
    owner_disabled: bool = False


@dataclass(frozen=True, slots=True)
class GrantRow:
    namespace: str
    username: str
    created_at: str
    created_by: str


class AccountTransaction(Protocol):
    def count_users(self) -> int: ...
    def find_user(self, username: str) -> UserRow | None: ...
    def find_user_by_id(self, user_id: str) -> UserRow | None: ...
    def list_users(self) -> list[UserRow]: ...
    def insert_user(self, row: UserRow) -> None: ...
    def update_user(self, user_id: str, values: dict[str, Any]) -> None: ...

    def insert_session(self, row: SessionRow) -> None: ...
    def find_session(self, session_id: str) -> tuple[SessionRow, UserRow] | None: ...
    def revoke_session(self, session_id: str, at: str) -> None: ...
    def revoke_user_sessions(self, user_id: str, at: str) -> int: ...

    def insert_refresh_token(self, row: RefreshTokenRow) -> None: ...
    def find_refresh_token(self, token_id: str) -> RefreshTokenRow | None: ...
    def spend_refresh_token(self, token_id: str, at: str) -> bool: ...

    def insert_api_key(self, row: ApiKeyRow) -> None: ...
    def find_api_key(self, *, id: str | None = None, prefix: str | None = None) -> ApiKeyRow | None: ...
    def list_api_keys(self, user_id: str | None) -> list[ApiKeyRow]: ...
    def revoke_api_key(self, key_id: str, at: str) -> None: ...
    def revoke_user_api_keys(self, user_id: str, at: str) -> int: ...
    def touch_api_key(self, key_id: str, at: str) -> None: ...

    def insert_grant(self, row: GrantRow) -> bool: ...
    def delete_grant(self, namespace: str, username: str) -> bool: ...
    def list_grants(self, namespace: str | None = None, username: str | None = None) -> list[GrantRow]: ...
    def namespace_grantees(self, namespace: str) -> Sequence[str]: ...

    def append_event(self, *, type: str, subject: str, actor: str, at: str, payload: dict[str, Any]) -> None: ...


class AccountStore(Protocol):
    def read(self) -> AbstractContextManager[AccountTransaction]: ...
    def write(self) -> AbstractContextManager[AccountTransaction]: ...
    def change_counter(self) -> int | None:
        """A number that changes whenever anything is committed to the database (by any
        connection), or None when the store cannot tell cheaply."""
        ...
