"""Stores answer database faults as the registry's errors: no SQLAlchemy or driver exception
reaches a service, a transport or an embedded caller."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from llm_registry import bootstrap
from llm_registry.errors import ConcurrentWriteError, StorageError, ValidationError
from llm_registry.settings import Settings


def test_a_value_the_database_refuses_is_a_validation_error(postgres_url: str) -> None:
    # PostgreSQL only: SQLite stores any value in any column and has no data errors.
    store = bootstrap.open_store(postgres_url, Settings())
    try:
        with pytest.raises(ValidationError) as refused, store.read() as tx:
            tx.connection.execute(sa.text("SELECT CAST('x' AS integer)"))
        assert refused.value.code == "invalid_parameter"
        assert isinstance(refused.value.__cause__, sa.exc.DataError)
    finally:
        store.close()


def test_a_unique_key_taken_first_is_a_concurrent_write(location: str) -> None:
    store = bootstrap.open_store(location, Settings())
    try:
        insert = sa.text("INSERT INTO namespace_grants (namespace, username, created_at, created_by)"
                         " VALUES ('n', 'u', 't', 'x')")
        with store.write() as tx:
            tx.connection.execute(insert)
        with pytest.raises(ConcurrentWriteError) as refused, store.write() as tx:
            tx.connection.execute(insert)
        assert (refused.value.code, refused.value.http_status) == ("concurrent_write", 409)
    finally:
        store.close()


def test_a_locked_sqlite_database_is_storage_unavailable(tmp_path: Path) -> None:
    store = bootstrap.open_store(str(tmp_path / "registry"), Settings(sqlite_busy_timeout_ms=50))
    blocker = sqlite3.connect(tmp_path / "registry" / "registry.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError) as refused, store.write():
            pass
        assert refused.value.code == "storage_unavailable"
        assert "locked" in str(refused.value.__cause__)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        store.close()
