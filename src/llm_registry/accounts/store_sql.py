"""Accounts in SQL (SQLite and PostgreSQL alike), inside the asset store's transactions.

Sharing the asset store's ``read()``/``write()`` gives accounts the same connection
handling (SQLite's single writer, PostgreSQL's ordered outbox) and puts their events in
the same outbox, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from llm_registry.accounts.interfaces import ApiKeyRow, GrantRow, RefreshTokenRow, SessionRow, UserRow
from llm_registry.accounts.schema import api_keys, namespace_grants, refresh_tokens, sessions, users
from llm_registry.assets.store_sql import SqlAssetStore, SqlTransaction
from llm_registry.storage.compiled import CompiledStatement


def _user(row: Any) -> UserRow:
    return UserRow(
        row.id, row.username, row.password_hash, row.role, bool(row.disabled), row.created_at, row.created_by,
        row.updated_at,
    )


def _session(row: Any) -> SessionRow:
    return SessionRow(row.id, row.user_id, row.created_at, row.expires_at, row.revoked_at)


_KEY_COLUMNS = [
    *api_keys.c, users.c.username, users.c.role.label("owner_role"), users.c.disabled.label("owner_disabled")
]
_KEY_JOIN = api_keys.join(users, users.c.id == api_keys.c.user_id)
_SESSION_USER = sa.select(
    *[c.label(f"s_{c.name}") for c in sessions.c], *users.c
).select_from(sessions.join(users, users.c.id == sessions.c.user_id))


def _key(row: Any) -> ApiKeyRow:
    return ApiKeyRow(
        row.id, row.prefix, row.secret_hash, row.name, row.user_id, row.username, row.role, row.created_at,
        row.expires_at, row.last_used_at, row.revoked_at, row.owner_role, bool(row.owner_disabled),
    )


class HotStatements:
    """The lookups every authenticated request makes, compiled once per dialect."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.session_by_id = CompiledStatement(_SESSION_USER.where(sessions.c.id == sa.bindparam("id")), dialect)
        self.key_by_prefix = CompiledStatement(
            sa.select(*_KEY_COLUMNS).select_from(_KEY_JOIN).where(api_keys.c.prefix == sa.bindparam("prefix")), dialect
        )


class SqlAccountTransaction:
    def __init__(self, tx: SqlTransaction, hot: HotStatements) -> None:
        self.tx = tx
        self.hot = hot
        self.connection = tx.connection

    # ----------------------------------------------------------------- users
    def count_users(self) -> int:
        return int(self.connection.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())

    def find_user(self, username: str) -> UserRow | None:
        row = self.connection.execute(sa.select(users).where(users.c.username == username)).first()
        return _user(row) if row else None

    def find_user_by_id(self, user_id: str) -> UserRow | None:
        row = self.connection.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def list_users(self) -> list[UserRow]:
        return [_user(r) for r in self.connection.execute(sa.select(users).order_by(users.c.username))]

    def insert_user(self, row: UserRow) -> None:
        self.connection.execute(users.insert().values(**_fields(row)))

    def update_user(self, user_id: str, values: dict[str, Any]) -> None:
        self.connection.execute(users.update().where(users.c.id == user_id).values(**values))

    # -------------------------------------------------------------- sessions
    def insert_session(self, row: SessionRow) -> None:
        self.connection.execute(sessions.insert().values(**_fields(row)))

    def find_session(self, session_id: str) -> tuple[SessionRow, UserRow] | None:
        rows = self.hot.session_by_id.fetch(self.connection, {"id": session_id})
        if not rows:
            return None
        row = rows[0]
        session = SessionRow(*row[:5])
        u = row[5:]  # the session's columns, then the user's
        return session, UserRow(u[0], u[1], u[2], u[3], bool(u[4]), u[5], u[6], u[7])

    def revoke_session(self, session_id: str, at: str) -> None:
        self.connection.execute(
            sessions.update().where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None)).values(revoked_at=at)
        )

    def revoke_user_sessions(self, user_id: str, at: str) -> int:
        result = self.connection.execute(
            sessions.update()
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)

    def insert_refresh_token(self, row: RefreshTokenRow) -> None:
        self.connection.execute(refresh_tokens.insert().values(**_fields(row)))

    def find_refresh_token(self, token_id: str) -> RefreshTokenRow | None:
        row = self.connection.execute(sa.select(refresh_tokens).where(refresh_tokens.c.id == token_id)).first()
        if row is None:
            return None
        return RefreshTokenRow(row.id, row.session_id, row.secret_hash, row.created_at, row.expires_at, row.spent_at)

    def spend_refresh_token(self, token_id: str, at: str) -> bool:
        """Marks the token spent; False when it already was (a concurrent or replayed use)."""
        result = self.connection.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.spent_at.is_(None))
            .values(spent_at=at)
        )
        return bool(result.rowcount)

    # -------------------------------------------------------------- API keys
    def insert_api_key(self, row: ApiKeyRow) -> None:
        values = _fields(row)
        for joined in ("username", "owner_role", "owner_disabled"):
            del values[joined]
        self.connection.execute(api_keys.insert().values(**values))

    def find_api_key(self, *, id: str | None = None, prefix: str | None = None) -> ApiKeyRow | None:
        if id is None:
            rows = self.hot.key_by_prefix.fetch(self.connection, {"prefix": prefix})
            if not rows:
                return None
            r = rows[0]  # api_keys' columns, then username, owner_role, owner_disabled
            return ApiKeyRow(r[0], r[1], r[2], r[3], r[4], r[10], r[5], r[6], r[7], r[8], r[9], r[11], bool(r[12]))
        query = sa.select(*_KEY_COLUMNS).select_from(_KEY_JOIN).where(api_keys.c.id == id)
        row = self.connection.execute(query).first()
        return _key(row) if row else None

    def list_api_keys(self, user_id: str | None) -> list[ApiKeyRow]:
        query = sa.select(*_KEY_COLUMNS).select_from(_KEY_JOIN).order_by(api_keys.c.id)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        return [_key(r) for r in self.connection.execute(query)]

    def revoke_api_key(self, key_id: str, at: str) -> None:
        self.connection.execute(
            api_keys.update().where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
        )

    def revoke_user_api_keys(self, user_id: str, at: str) -> int:
        result = self.connection.execute(
            api_keys.update()
            .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)

    def touch_api_key(self, key_id: str, at: str) -> None:
        self.connection.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=at))

    # ---------------------------------------------------------------- grants
    def insert_grant(self, row: GrantRow) -> bool:
        exists = self.connection.execute(
            sa.select(namespace_grants.c.namespace).where(
                namespace_grants.c.namespace == row.namespace, namespace_grants.c.username == row.username
            )
        ).first()
        if exists:
            return False
        self.connection.execute(namespace_grants.insert().values(**_fields(row)))
        return True

    def delete_grant(self, namespace: str, username: str) -> bool:
        result = self.connection.execute(
            namespace_grants.delete().where(
                namespace_grants.c.namespace == namespace, namespace_grants.c.username == username
            )
        )
        return bool(result.rowcount)

    def list_grants(self, namespace: str | None = None, username: str | None = None) -> list[GrantRow]:
        query = sa.select(namespace_grants).order_by(namespace_grants.c.namespace, namespace_grants.c.username)
        if namespace is not None:
            query = query.where(namespace_grants.c.namespace == namespace)
        if username is not None:
            query = query.where(namespace_grants.c.username == username)
        return [GrantRow(r.namespace, r.username, r.created_at, r.created_by) for r in self.connection.execute(query)]

    def namespace_grantees(self, namespace: str) -> Sequence[str]:
        query = sa.select(namespace_grants.c.username).where(namespace_grants.c.namespace == namespace)
        return [str(r) for r in self.connection.execute(query).scalars()]

    def append_event(self, *, type: str, subject: str, actor: str, at: str, payload: dict[str, Any]) -> None:
        self.tx.append_event(type=type, subject=subject, asset=None, actor=actor, at=at, payload=payload)


def _fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


class SqlAccountStore:
    """Account transactions over an asset store's connections (SQLite or PostgreSQL)."""

    def __init__(self, asset_store: SqlAssetStore) -> None:
        self.asset_store = asset_store
        self.hot = HotStatements(asset_store.engine.dialect)

    def read(self) -> _AccountRead:
        return _AccountRead(self.asset_store.read(), self.hot)

    def change_counter(self) -> int | None:
        return self.asset_store.change_counter()

    @contextmanager
    def write(self) -> Iterator[SqlAccountTransaction]:
        with self.asset_store.write() as tx:
            yield SqlAccountTransaction(tx, self.hot)


class _AccountRead:
    """An account read over an asset store read (a class: one runs on every authenticated request)."""

    __slots__ = ("_hot", "_read")

    def __init__(self, read: AbstractContextManager[SqlTransaction], hot: HotStatements) -> None:
        self._read = read
        self._hot = hot

    def __enter__(self) -> SqlAccountTransaction:
        return SqlAccountTransaction(self._read.__enter__(), self._hot)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool | None:
        return self._read.__exit__(exc_type, exc, traceback)
