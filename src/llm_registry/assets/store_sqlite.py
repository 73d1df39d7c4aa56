"""SQLite: WAL, one writer at a time (a lock in the process, ``BEGIN IMMEDIATE`` across
processes), readers on their own connections, one per thread, kept open."""

from __future__ import annotations

import collections
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.store_sql import SqlAssetStore, SqlTransaction
from llm_registry.assets.store_sql_batch import BatchedTransaction
from llm_registry.errors import StorageError
from llm_registry.storage.checkpoint import Checkpointer
from llm_registry.storage.engine import create_sqlite_engine
from llm_registry.storage.errors import database_errors, registry_error

READER_MMAP_BYTES = 1 << 30


class SqliteTransaction(SqlTransaction):
    def batched(self) -> BatchedTransaction:
        return BatchedTransaction(self)


class SqliteAssetStore(SqlAssetStore):
    backend = "sqlite"
    transaction_class = SqliteTransaction

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        super().__init__(create_sqlite_engine(path, busy_timeout_ms=busy_timeout_ms))
        self.path = path
        # SQLite has one writer; queueing this process's writers here keeps them off the
        # busy-wait of the file lock, which other processes still go through.
        self._write_lock = threading.Lock()
        self._writer: sa.Connection | None = None
        self._checkpointer: Checkpointer | None = None
        self._lock_file: int | None = None
        self._version_connection: sqlite3.Connection | None = None
        self._version_lock = threading.Lock()
        # Idle reader connections, reused by whichever thread reads next. deque's append and
        # pop are atomic, so taking and returning one needs no lock.
        self._idle_readers: collections.deque[sa.Connection] = collections.deque()
        self._readers: list[sa.Connection] = []
        self._readers_lock = threading.Lock()

    def _aggregate(self, column: Any) -> Any:
        return sa.func.group_concat(column, ",")

    def read(self) -> _Read:
        return _Read(self)

    def change_counter(self) -> int | None:
        """``PRAGMA data_version`` of a connection that never writes: it changes whenever any other
        connection, of any process, commits (a read of shared memory, a few microseconds)."""
        with self._version_lock:
            if self._version_connection is None:
                self._version_connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            row = self._version_connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def _take_reader(self) -> sa.Connection:
        try:
            return self._idle_readers.pop()
        except IndexError:
            # As many reader connections as reads have ever run at once; kept for reuse.
            connection = self.engine.connect()
            # Readers map the file: a page the connection's cache lacks is then a memory read,
            # not a system call (lookups ~5% faster at 10,000 versions). Writes still go
            # through the log.
            connection.connection.driver_connection.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")  # type: ignore[union-attr]
            with self._readers_lock:
                self._readers.append(connection)
            return connection

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with self._write_lock, database_errors(sqlite3.Error):
            if self._writer is None or self._writer.closed:
                self._writer = self._connect_writer()
            assert self._lock_file is not None
            assert self._checkpointer is not None
            # Writers of other processes queue on this lock, and the kernel wakes the next as
            # soon as it is released. SQLite's own lock, when taken, makes a waiter sleep and poll
            # (1, 2, 5 … 100 ms): two server workers writing at once spent most of their time
            # asleep. BEGIN IMMEDIATE still guards against writers that do not take this lock.
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                with _transaction(self._writer, "BEGIN IMMEDIATE"):
                    yield self.transaction_class(self._writer, self.statements)
            finally:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._checkpointer.committed()
        self.committed()

    def _connect_writer(self) -> sa.Connection:
        """The writer's connection; its commits leave checkpoints to the checkpointer's thread."""
        writer = self.engine.connect().execution_options(sqlite_immediate=True)
        writer.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
        writer.commit()
        if self._checkpointer is None:
            self._checkpointer = Checkpointer(self.path)
        if self._lock_file is None:
            self._lock_file = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return writer

    def close(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, []
        self._idle_readers.clear()
        for connection in readers:
            connection.close()
        with self._write_lock:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        with self._version_lock:
            if self._version_connection is not None:
                self._version_connection.close()
                self._version_connection = None
        super().close()


class _Read:
    """A read transaction (a snapshot) on an idle reader connection. A class rather than a
    generator: every request runs one or two, and this costs a third of ``_transaction``."""

    __slots__ = ("_connection", "_store")

    def __init__(self, store: SqliteAssetStore) -> None:
        self._store = store
        self._connection: sa.Connection | None = None

    def __enter__(self) -> SqlTransaction:
        store = self._store
        try:
            connection = self._connection = store._take_reader()
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise _translated(exc) from exc
        try:
            connection.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
        except BaseException as exc:
            store._idle_readers.append(connection)
            if isinstance(exc, sa.exc.SQLAlchemyError | sqlite3.Error):
                raise _translated(exc) from exc
            raise
        return store.transaction_class(connection, store.statements)

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        connection = self._connection
        assert connection is not None
        try:
            _end(connection, failed=exc_type is not None)
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as error:
            if exc is None:
                raise _translated(error) from error
        finally:
            self._store._idle_readers.append(connection)
        if isinstance(exc, sa.exc.SQLAlchemyError | sqlite3.Error):
            raise _translated(exc) from exc


def _translated(exc: BaseException) -> BaseException:
    """A database error raised in a read, as the registry's error (see storage.errors)."""
    return registry_error(exc) or (StorageError("the database cannot serve the request now; retry")
                                   if isinstance(exc, sqlite3.Error) else exc)


@contextmanager
def _transaction(connection: sa.Connection, begin: str) -> Iterator[None]:
    """BEGIN/COMMIT straight on the driver connection: a transaction costs microseconds this
    way; a Core statement inside joins it (see the begin hook in storage.engine)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(begin)
    try:
        yield
    except BaseException:
        _end(connection, failed=True)
        raise
    _end(connection, failed=False)


def _end(connection: sa.Connection, *, failed: bool) -> None:
    """Commit, or roll back when ``failed``: through SQLAlchemy when a Core statement joined the
    transaction, else on the driver connection."""
    if connection.in_transaction():
        if failed:
            connection.rollback()
        else:
            connection.commit()
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    if not failed:
        driver.execute("COMMIT")
    elif driver.in_transaction:
        driver.execute("ROLLBACK")
