"""How much of a SQLite registration is the SQL itself: the registry, then its statements alone.

    python benchmarks/registration_sql.py                  # 10,000 versions
    python benchmarks/registration_sql.py --versions 3000

Registers the versions of ``benchmarks/embedded.py`` (each with 2 dependencies, 3 tags and a
~500-byte spec, one transaction each) on a copy of a seeded registry, recording every statement
the store runs and where each transaction commits. Then replays that record with ``sqlite3``
alone, no registry code in between (same pragmas, same background checkpoints), on a second
copy of the seeded database: once whole, once without the statements on the search tables
(``search_*``). The whole replay must leave the same rows as the registry did, in every table,
or the script fails. Prints one JSON object: registrations/s and mean microseconds for the
registry (recording costs it about a microsecond per statement) and the two replays, the
replays' mean commit time, and statements per registration.

The whole replay is the ceiling of any registry that writes what a registration writes, on this
machine's disk and SQLite, however little time its own code takes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llm_registry import Registry, Settings
from llm_registry.assets.store_sqlite import SqliteAssetStore
from llm_registry.storage import compiled
from llm_registry.storage.checkpoint import Checkpointer

try:
    from benchmarks.embedded import fine_tunes, register_bases
except ImportError:  # run as a script: benchmarks/ is on the path, not the repository
    from embedded import fine_tunes, register_bases  # type: ignore[no-redef]

COMMIT = None
# (method, sql, parameters); a COMMIT entry ends each transaction.
Step = tuple[str, str, Any] | None


@contextmanager
def recording(store: SqliteAssetStore, log: list[Step]) -> Iterator[None]:
    """Record the compiled statements the store's write transactions run, each transaction
    ended by a COMMIT; a transaction rolled back leaves nothing."""
    originals = {name: getattr(compiled.CompiledStatement, name) for name in ("fetch", "execute", "execute_many")}

    def recorder(name: str) -> Any:
        original = originals[name]

        def record(self: compiled.CompiledStatement, connection: Any, values: Any) -> Any:
            if name == "execute_many":
                log.append((name, self.sql, [self._params(v) for v in values]))
            else:
                log.append((name, self.sql, self._params(values)))
            return original(self, connection, values)

        return record

    write = store.write

    @contextmanager
    def recorded_write() -> Iterator[Any]:
        begun = len(log)
        try:
            with write() as tx:
                yield tx
        except BaseException:
            del log[begun:]  # rolled back: nothing of it to replay
            raise
        log.append(COMMIT)

    for name in originals:
        setattr(compiled.CompiledStatement, name, recorder(name))
    store.write = recorded_write  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(compiled.CompiledStatement, name, original)
        del store.write


def replay(database: Path, log: Sequence[Step]) -> tuple[float, float]:
    """Run ``log`` on ``database`` with sqlite3 as the store's writer does (same pragmas,
    BEGIN IMMEDIATE … COMMIT, the log copied back by the same checkpoint thread); returns the
    seconds it took and the seconds its commits took."""
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "wal_autocheckpoint = 0"):
        connection.execute(f"PRAGMA {pragma}")
    checkpointer = Checkpointer(database)
    committing = 0.0
    try:
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for step in log:
            if step is COMMIT:
                commit_start = time.perf_counter()
                connection.execute("COMMIT")
                committing += time.perf_counter() - commit_start
                checkpointer.committed()
                connection.execute("BEGIN IMMEDIATE")
                continue
            method, sql, params = step
            if method == "execute_many":
                connection.executemany(sql, params)
            else:
                connection.execute(sql, params).fetchall()
        connection.execute("COMMIT")
        elapsed = time.perf_counter() - start
    finally:
        checkpointer.close()
        connection.close()
    return elapsed, committing


def contents(database: Path) -> dict[str, str]:
    """A digest of every table's rows (in any order), by table."""
    with sqlite3.connect(database) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        return {
            table: hashlib.sha256(
                "\n".join(sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"')))).encode()
            ).hexdigest()
            for table in sorted(tables)
        }


def _rate(seconds: float, commit_seconds: float | None, count: int) -> dict[str, float]:
    figures = {"ops_per_s": round(count / seconds, 1), "mean_us": round(seconds / count * 1e6, 1)}
    if commit_seconds is not None:
        figures["commit_mean_us"] = round(commit_seconds / count * 1e6, 1)
    return figures


def run(versions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        seeded, registered = root / "seeded", root / "registered"
        with Registry.open(str(seeded), settings=Settings(), actor="bench") as registry:
            register_bases(registry)
        shutil.copytree(seeded, registered)
        manifests = fine_tunes(versions)
        log: list[Step] = []
        with Registry.open(str(registered), settings=Settings(), actor="bench") as registry:
            assert isinstance(registry.store, SqliteAssetStore)
            with recording(registry.store, log):
                start = time.perf_counter()
                for manifest in manifests:
                    registry.register(manifest)
                registry_s = time.perf_counter() - start
        statements = [step for step in log if step is not COMMIT]
        commits = len(log) - len(statements)
        if commits != versions:
            raise SystemExit(f"recorded {commits} transactions for {versions} registrations")

        whole = root / "whole"
        shutil.copytree(seeded, whole)
        whole_s, whole_commit_s = replay(whole / "registry.db", log)
        expected, replayed = contents(registered / "registry.db"), contents(whole / "registry.db")
        differ = sorted(table for table in expected if replayed.get(table) != expected[table])
        if differ:
            raise SystemExit(f"the replay left other rows than the registry in {', '.join(differ)}")

        without_search = [step for step in log if step is COMMIT or "search_" not in step[1]]
        bare = root / "without_search"
        shutil.copytree(seeded, bare)
        bare_s, bare_commit_s = replay(bare / "registry.db", without_search)
    return {
        "backend": "sqlite",
        "versions": versions,
        "statements_per_registration": round(len(statements) / versions, 1),
        "registry": _rate(registry_s, None, versions),
        "sql_replay": _rate(whole_s, whole_commit_s, versions),
        "sql_replay_without_search": _rate(bare_s, bare_commit_s, versions),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=10_000)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.versions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
