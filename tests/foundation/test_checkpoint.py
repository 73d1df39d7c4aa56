"""SQLite: the write-ahead log is copied back into the database by the store's checkpoint
thread, not by the registration that happens to commit the 1000th page."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from llm_registry import Registry, Settings
from llm_registry.storage.checkpoint import Checkpointer


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "llm-registry-checkpoint"]


def _wait_for(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_commits_are_checkpointed_by_the_thread_and_nothing_is_lost(tmp_path: Path) -> None:
    before = len(_checkpoint_threads())
    registry = Registry.open(str(tmp_path), settings=Settings(), actor="tester")
    database = tmp_path / "registry.db"
    try:
        registry.register({"kind": "model", "name": "acme/m", "version": "0.0.1", "spec": {}})
        writer = registry.store._writer.connection.driver_connection  # type: ignore[attr-defined]
        # The writer itself never checkpoints.
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert len(_checkpoint_threads()) == before + 1
        size = database.stat().st_size
        for patch in range(1, 200):
            registry.register({"kind": "model", "name": "acme/m", "version": f"0.1.{patch}", "spec": {"n": patch}})
        # Only a checkpoint writes pages into the database file itself.
        assert _wait_for(lambda: database.stat().st_size > size)
    finally:
        registry.close()
    assert len(_checkpoint_threads()) == before
    # Closed: everything is in the database file, readable without the log.
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM versions").fetchone() == (200,)


def test_the_log_is_restarted_under_overlapping_readers(tmp_path: Path) -> None:
    """Readers whose snapshots always overlap keep a PASSIVE checkpoint from ever finishing the
    log; past ``restart_pages`` a RESTART checkpoint waits for them, and the log is reused from
    its start instead of growing."""
    path = tmp_path / "db.sqlite"
    # A RESTART checkpoint holds writers back while it waits for the readers; on a loaded machine
    # that wait outlasted sqlite3's default 5 s busy timeout. The store's writer waits 30 s.
    writer = sqlite3.connect(path, isolation_level=None, timeout=30)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE t (x BLOB)")
    stop = threading.Event()

    def read() -> None:
        readers = [sqlite3.connect(path, isolation_level=None) for _ in range(2)]
        readers[0].execute("BEGIN")
        readers[0].execute("SELECT count(*) FROM t").fetchone()
        turn = 0
        while not stop.is_set():
            # Open a new snapshot before closing the old one: some reader always holds one.
            readers[1 - turn].execute("BEGIN")
            readers[1 - turn].execute("SELECT count(*) FROM t").fetchone()
            readers[turn].execute("COMMIT")
            turn = 1 - turn
            time.sleep(0.001)
        for reader in readers:
            if reader.in_transaction:
                reader.execute("COMMIT")
            reader.close()

    reading = threading.Thread(target=read)
    reading.start()
    checkpointer = Checkpointer(path, interval_s=0.01, restart_pages=100)
    try:
        for _ in range(600):
            writer.execute("INSERT INTO t VALUES (randomblob(4000))")
            checkpointer.committed()
            time.sleep(0.001)
        # 600 pages went through the log; restarted, it was reused from its start.
        assert Path(f"{path}-wal").stat().st_size < 400 * 4096
        assert writer.execute("SELECT count(*) FROM t").fetchone() == (600,)
    finally:
        stop.set()
        reading.join()
        checkpointer.close()
        writer.close()
