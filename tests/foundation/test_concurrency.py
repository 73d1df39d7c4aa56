"""Faults with real processes on both backends: concurrent registrations of one version, a
process killed with SIGKILL in the middle of registrations, concurrent first opens, and
concurrent registrations that would close a dependency cycle.

Where the databases let us, the test holds a lock so that both writers are provably inside
their transactions at the same moment (PostgreSQL: waiting on each other, seen in
pg_stat_activity; SQLite: queued on the write lock) before letting them go.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from llm_registry.assets import store_postgres
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import RegistryError
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from llm_registry.storage import migrate
from tests.foundation.conftest import depends, model

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


class Worker:
    """A ``tests.foundation.workers`` process whose JSON lines arrive on a queue."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.foundation.workers", *arguments], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.messages.put(json.loads(line))
        self.messages.put(None)

    def next(self) -> dict[str, Any]:
        message = self.messages.get(timeout=TIMEOUT)
        if message is None:
            assert self.process.stderr is not None
            pytest.fail(f"worker ended early: {self.process.stderr.read()[-2000:]}")
        return message

    def finish(self) -> None:
        self.process.wait(timeout=TIMEOUT)
        self.reader.join(timeout=TIMEOUT)
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.process.stdout.close()
        self.process.stderr.close()


def open_registry(location: str) -> EmbeddedRegistry:
    opened = Registry.open(location, settings=Settings(), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    return opened


def sqlite_file(location: str) -> Path:
    return Path(location) / "registry.db"


def wait_until_blocked(backend: str, location: str, waiting: int) -> None:
    """Until ``waiting`` sessions wait on a lock (PostgreSQL); a pause on SQLite, which cannot tell."""
    if backend == "sqlite":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 15
    with psycopg.connect(location, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                               " AND wait_event_type = 'Lock'").fetchone()
            if row is not None and row[0] >= waiting:
                return
            time.sleep(0.02)
    pytest.fail(f"{waiting} sessions never waited on a lock together")


@contextmanager
def writers_held(backend: str, location: str) -> Iterator[None]:
    """Hold writers at the last step before commit: the SQLite write lock, or PostgreSQL's outbox lock
    (every change takes it after writing its rows, so a second writer of the same row waits on the first)."""
    if backend == "sqlite":
        conn = sqlite3.connect(sqlite_file(location), isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    key = store_postgres._OUTBOX_LOCK
    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


# --------------------------------------------------- same version, two processes
def test_two_processes_registering_one_version_at_the_same_moment(backend: str, location: str, tmp_path: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    with open_registry(location) as registry:
        registry.register(model(name="acme/base"))
    rounds = [
        # different content for a new asset, then for an existing one: one wins, one conflicts
        [model(name="acme/fresh", spec={"writer": n}) for n in (0, 1)],
        [model(name="acme/base", version="2.0.0", spec={"writer": n}) for n in (0, 1)],
        # identical content: both succeed, one registration
        [model(name="acme/base", version="3.0.0", spec={"same": True}) for _ in (0, 1)],
    ]
    workers = [Worker("race", location, json.dumps([r[n] for r in rounds]), str(tmp_path / "go"))
               for n in (0, 1)]
    results = []
    for index in range(len(rounds)):
        assert [w.next() for w in workers] == [{"ready": index}] * 2
        with writers_held(backend, location):
            (tmp_path / f"go{index}").touch()
            wait_until_blocked(backend, location, 2)
        results.append([w.next() for w in workers])
    for worker in workers:
        worker.finish()

    with open_registry(location) as registry:
        for index, (name, version) in enumerate([("acme/fresh", "1.0.0"), ("acme/base", "2.0.0")]):
            outcome = sorted(results[index], key=lambda r: "ok" not in r)
            assert "ok" in outcome[0], results[index]
            assert {k: v for k, v in outcome[1].items() if k != "round"} == {"error": "version_conflict",
                                                                             "class": "ConflictError"}
            stored = registry.get(f"model:{name}@{version}")
            assert stored.id == outcome[0]["ok"]
            assert stored.spec == rounds[index][results[index].index(outcome[0])]["spec"]
            assert len(registry.events(subject=f"model:{name}@{version}").items) == 1
        same = results[2]
        assert [r.get("ok") for r in same] == [registry.get("model:acme/base@3.0.0").id] * 2, same
        assert len(registry.events(subject="model:acme/base@3.0.0").items) == 1


# ------------------------------------------------------------ SIGKILL mid-run
def test_sigkill_in_the_middle_of_registrations_loses_nothing_acknowledged(backend: str, location: str) -> None:
    with open_registry(location) as registry:
        registry.register(model(name="acme/base"))
        registry.register({"kind": "dataset", "name": "acme/data", "version": "1.0.0"})
    worker = Worker("register_forever", location)
    assert worker.next() == {"ready": 0}
    acknowledged: list[str] = []
    while len(acknowledged) < 60:
        acknowledged.append(worker.next()["acknowledged"])
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.finish()
    while (message := worker.messages.get(timeout=TIMEOUT)) is not None:  # printed before the kill
        acknowledged.append(message["acknowledged"])
    assert worker.process.returncode == -signal.SIGKILL

    with open_registry(location) as registry:
        stored: list[str] = []
        cursor = None
        while True:
            page = registry.versions("model:acme/loop", cursor=cursor, limit=1000)
            stored.extend(v.version for v in page.items)
            if not (cursor := page.next_cursor):
                break
        assert set(acknowledged) <= set(stored)
        assert len(stored) - len(acknowledged) in (0, 1)  # at most one committed, not yet acknowledged
        assert sorted(stored, key=lambda v: int(v.split(".")[1])) == [f"1.{i}.0" for i in range(len(stored))]
        for version in stored:  # every version is whole: labels, pins, dependencies, its event
            document = registry.get(f"model:acme/loop@{version}")
            minor = version.split(".")[1]
            assert (document.revision, document.labels.description) == (1, f"v{minor}")
            assert [(p.version, p.relation.value) for p in document.pins] == [("1.0.0", "derived_from"),
                                                                              ("1.0.0", "trained_on")]
        engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT v.version,"
                " (SELECT count(*) FROM label_revisions r WHERE r.version_id = v.id AND r.revision = 1),"
                " (SELECT count(*) FROM label_revisions r WHERE r.version_id = v.id),"
                " (SELECT count(*) FROM dependencies d WHERE d.version_id = v.id AND d.target_version_id IS NOT NULL)"
                " FROM versions v JOIN assets a ON a.id = v.asset_id WHERE a.name = 'loop'"
            )).all()
            assert sorted(r[0] for r in rows) == sorted(stored)
            assert {tuple(r[1:]) for r in rows} == {(1, 1, 2)}
            if backend == "sqlite":
                assert connection.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
        events = registry.events(subject="model:acme/loop", limit=1000).items
        assert sorted(e.subject for e in events) == sorted(f"model:acme/loop@{v}" for v in stored)
        assert {e.type for e in events} == {"asset.registered"}
        # and the registry carries on
        assert registry.register(model(name="acme/loop", version="2.0.0")).version == "2.0.0"


# -------------------------------------------------------- first open, twice
def test_two_processes_opening_an_empty_registry_at_once_both_succeed(backend: str, location: str, tmp_path: Path,
                                                                      request: pytest.FixtureRequest) -> None:
    # Another opener is in the middle of creating the schema when these two start.
    if backend == "sqlite":
        sqlite_file(location).parent.mkdir(parents=True)
        holder: Any = sqlite3.connect(sqlite_file(location), isolation_level=None, timeout=30)
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = psycopg.connect(location)
        holder.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    try:
        workers = [Worker("first_open", location, str(tmp_path / "go")) for _ in (0, 1)]
        assert [w.next() for w in workers] == [{"ready": 0}] * 2
        (tmp_path / "go").touch()
        wait_until_blocked(backend, location, 2)
    finally:
        if backend == "sqlite":
            holder.execute("ROLLBACK")
        else:
            holder.rollback()
        holder.close()
    outcomes = [w.next() for w in workers]
    for worker in workers:
        worker.finish()
    assert outcomes == [{"round": 0, "ok": None}] * 2
    with open_registry(location) as registry:
        assert migrate.current_revision(registry.store.engine) == migrate.head_revision()  # type: ignore[attr-defined]


# ------------------------------------------------- a cycle closed concurrently
def test_two_registrations_closing_a_cycle_at_once_cannot_both_succeed(
        backend: str, embedded_registry: EmbeddedRegistry, request: pytest.FixtureRequest) -> None:
    registry = embedded_registry
    registry.register(model(name="acme/a"))
    registry.register(model(name="acme/b"))
    outcomes: dict[str, str] = {}

    def register(name: str, other: str) -> None:
        try:
            manifest = model(name=f"acme/{name}", version="2.0.0", dependencies=[depends(f"model:acme/{other}")])
            registry.register(manifest)
            outcomes[name] = "ok"
        except RegistryError as error:
            outcomes[name] = error.code

    with writers_held(backend, registry.location) if backend == "postgresql" else _nothing():
        threads = [threading.Thread(target=register, args=pair) for pair in (("a", "b"), ("b", "a"))]
        for thread in threads:
            thread.start()
        if backend == "postgresql":
            wait_until_blocked(backend, registry.location, 2)
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert sorted(outcomes.values()) == ["dependency_cycle", "ok"], outcomes


@contextmanager
def _nothing() -> Iterator[None]:
    yield
