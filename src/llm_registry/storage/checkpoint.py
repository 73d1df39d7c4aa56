"""Checkpoints of a SQLite write-ahead log, off the writer's path.

By default the connection that commits the 1000th page of the WAL copies the log back into
the database (and syncs it) before its COMMIT returns: one registration in a few dozen pays
for the checkpoint of all of them. The store's writer turns that off, and this thread does the
same work after commits, on its own connection, while the writer goes on (SQLite lets a
checkpoint run beside a writer and readers).

A PASSIVE checkpoint never waits: it copies what no reader still needs. Should the log grow
past ``restart_pages`` all the same (readers holding old snapshots), a RESTART checkpoint
waits for them, so the next writer starts the log from its beginning again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, path: Path, *, interval_s: float = 0.05, restart_pages: int = 20_000) -> None:
        self.path = path
        self.interval_s = interval_s
        self.restart_pages = restart_pages
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llm-registry-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called after each commit: there is log to copy."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (closing the last connection checkpoints what is left)."""
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout = 30000")
            while True:
                self._wake.wait()
                if self._stop.is_set():
                    return
                self._wake.clear()
                self.checkpoint(connection)
                # Let commits gather: one checkpoint copies a page once, however often it changed.
                if self._stop.wait(self.interval_s):
                    return
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            _, log_pages, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if log_pages >= self.restart_pages:
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error as exc:  # e.g. the database is being closed or replaced
            log.warning("checkpoint of %s failed: %s", self.path, exc)
