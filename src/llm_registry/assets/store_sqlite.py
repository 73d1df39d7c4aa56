"""SQLite: WAL, one writer at a time (a lock in the process, ``BEGIN IMMEDIATE`` across processes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.store_sql import SqlAssetStore, SqlTransaction
from llm_registry.storage.engine import create_sqlite_engine


class SqliteAssetStore(SqlAssetStore):
    backend = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        super().__init__(create_sqlite_engine(path, busy_timeout_ms=busy_timeout_ms))
        self.path = path
        # SQLite has one writer; queueing writers of this process here keeps them off
        # the busy-wait of the file lock, which other processes still go through.
        self._write_lock = threading.Lock()

    def _aggregate(self, column: Any) -> Any:
        return sa.func.group_concat(column, ",")

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with self._write_lock, self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                yield self.transaction_class(connection, self._aggregate)
