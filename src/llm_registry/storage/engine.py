"""Engines for SQLite and PostgreSQL, and the schema check done on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from llm_registry.errors import StorageError


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_sqlite_engine(path: Path, *, busy_timeout_ms: int = 30_000) -> Engine:
    """A SQLite engine in WAL mode with foreign keys, and transactions we begin ourselves.

    pysqlite's implicit transactions are turned off so that writers can ``BEGIN IMMEDIATE``
    (take the write lock up front, never deadlock on an upgrade) and readers ``BEGIN``
    a snapshot. ``synchronous=NORMAL`` in WAL mode keeps every committed transaction across
    a crash of the process; only an OS crash could lose the last ones.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{path}",
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        # The store keeps the connections it takes (one writer, one per concurrent reader):
        # never make a reader wait for the pool.
        pool_size=8,
        max_overflow=-1,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            return  # a reader began its snapshot on the driver connection itself
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_postgres_engine(url: str, *, pool_size: int = 10) -> Engine:
    """A pooled PostgreSQL engine over psycopg 3."""
    sa_url = sa.make_url(url)
    if sa_url.drivername in ("postgresql", "postgres"):
        sa_url = sa_url.set(drivername="postgresql+psycopg")
    return sa.create_engine(
        sa_url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it costs a round trip per checkout. A connection that died is found
        # by the statement that uses it; SQLAlchemy then drops the whole stale pool.
        pool_recycle=1800,
    )


def check_reachable(engine: Engine) -> None:
    """Raises StorageError (``storage_unavailable``) when the database does not answer."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        raise StorageError(f"cannot reach the database at {redacted_url(engine.url)}: {exc.orig}") from None


def redacted_url(url: sa.URL) -> str:
    """The URL without its password, nor any query parameter that could hold a secret."""
    secret = {
        key: "***" for key in url.query if "pass" in key.lower() or "key" in key.lower() or "token" in key.lower()
    }
    # As people write it: postgresql://, not the driver SQLAlchemy was told to use.
    plain = url.set(drivername=url.get_backend_name())
    return plain.update_query_dict(secret).render_as_string(hide_password=True)
