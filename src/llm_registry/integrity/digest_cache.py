"""The digests of local files pushed before, so that pushing them again reads none of their bytes.

A file's entry holds its path, size, modification and change times (nanoseconds) and inode, and
its digest; it is used only while all of them are unchanged. Since no program can set a file's
change time (the kernel sets it on every write, rename or chmod), a file changed since it was
hashed is hashed again. As git does with its index, a file modified within two seconds of being
hashed is not remembered (its time may not tell a later write apart). The server checks every
byte it receives all the same: a cache can only make a push skip reading a file.

The cache is a SQLite file in the user's cache folder (``$XDG_CACHE_HOME/llm-registry``, else
``~/.cache/llm-registry``). Any fault of it turns it off for the rest of the push: it never
fails one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

_RACY_NS = 2_000_000_000


def default_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-registry" / "digests.sqlite3"


def _key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


class DigestCache:
    """Digests of files by path, valid while the file's size, times and inode are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._connection: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection | None:
        if self._connection is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=5, check_same_thread=False, isolation_level=None)
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
                    " ctime_ns INTEGER, inode INTEGER, digest TEXT)"
                )
                self._connection = connection
            except (OSError, sqlite3.Error):
                self._broken = True
        return self._connection

    def find(self, source: Path, stat: os.stat_result) -> str | None:
        """The digest remembered for ``source`` as ``stat`` describes it, or None."""
        with self._lock:
            connection = self._open()
            if connection is None:
                return None
            try:
                row = connection.execute(
                    "SELECT size, mtime_ns, ctime_ns, inode, digest FROM digests WHERE path = ?", (str(source),)
                ).fetchone()
            except sqlite3.Error:
                self._broken = True
                return None
        if row is None or tuple(row[:4]) != _key(stat):
            return None
        return str(row[4])

    def remember(self, source: Path, before: os.stat_result, digest: str) -> None:
        """Keep ``digest`` for ``source`` if the file did not change while it was hashed (its stat
        ``before`` and now agree) and was not modified just before."""
        try:
            after = source.stat()
        except OSError:
            return
        if _key(after) != _key(before) or after.st_mtime_ns > time.time_ns() - _RACY_NS:
            return
        with self._lock:
            connection = self._open()
            if connection is None:
                return
            try:
                connection.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?)",
                                   (str(source), *_key(before), digest))
            except sqlite3.Error:
                self._broken = True

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
