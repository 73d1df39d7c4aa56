"""Embedded registry benchmark: registration and lookups on SQLite and PostgreSQL.

    python benchmarks/embedded.py                       # SQLite, 10,000 versions
    python benchmarks/embedded.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/embedded.py --versions 2000 --lookups 5000

Registers N versions (each with 2 dependencies, 3 tags and a ~500-byte spec), one
transaction per registration, then looks them up by exact reference, by range and by
alias. Then registers the same N versions on a second, freshly seeded registry with
``register_many`` (a transaction per ``--batch-size``), and on SQLite inserts the rows that
batch wrote into a third copy with ``sqlite3`` alone, in one transaction (``executemany`` per
table, same pragmas): the ceiling of any batch registration on this machine. Prints one JSON
object per backend with ops/s and p50/p95/p99 latency in ms, and versions/s of the batch.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from llm_registry import Registry, Settings
from llm_registry.storage.tables import metadata

BASES = 20
VERSIONS_PER_ASSET = 10


def _spec(i: int) -> dict[str, Any]:
    return {
        "architecture": "llama",
        "parameters": 8_030_000_000,
        "context_length": 8192 * (1 + i % 4),
        "format": "safetensors",
        "quantization": "bf16",
        "languages": ["en", "de", "fr"],
        "card": f"Support fine-tune {i} of the base model on curated tickets. " * 6,
    }


def _percentiles(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    total_s = sum(samples) / 1e9
    return {
        "ops_per_s": round(len(samples) / total_s, 1),
        "p50_ms": round(ordered[len(ordered) // 2] / 1e6, 4),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] / 1e6, 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6, 4),
        "mean_ms": round(statistics.fmean(ordered) / 1e6, 4),
        "count": len(samples),
    }


def _timed(calls: list[Callable[[], object]]) -> dict[str, float]:
    samples = []
    for call in calls:
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return _percentiles(samples)


def register_bases(registry: Registry) -> None:
    """The assets the benchmark's versions depend on: BASES models and datasets, three versions each."""
    for b in range(BASES):
        for minor in range(3):
            registry.register(
                {
                    "kind": "model",
                    "name": f"base/m-{b}",
                    "version": f"1.{minor}.0",
                    "spec": {"architecture": "llama", "parameters": 7_000_000_000},
                }
            )
            registry.register(
                {
                    "kind": "dataset",
                    "name": f"data/d-{b}",
                    "version": f"1.2.{minor}",
                    "spec": {"format": "parquet", "rows": 1000 * (minor + 1)},
                }
            )


def fine_tunes(versions: int) -> list[dict[str, Any]]:
    """``versions`` manifests, VERSIONS_PER_ASSET per asset, each with 2 dependencies (a caret and
    a tilde range), 3 tags and a ~500-byte spec."""
    manifests = []
    for i in range(versions):
        asset, patch = divmod(i, VERSIONS_PER_ASSET) if versions >= VERSIONS_PER_ASSET else (0, i)
        manifests.append(
            {
                "kind": "model",
                "name": f"acme/ft-{asset}",
                "version": f"1.0.{patch}",
                "spec": _spec(i),
                "dependencies": [
                    {"ref": f"model:base/m-{i % BASES}@^1.0", "relation": "derived_from"},
                    {"ref": f"dataset:data/d-{i % BASES}@~1.2", "relation": "trained_on"},
                ],
                "labels": {"tags": ["chat", "support", f"batch-{i % 7}"], "license": "apache-2.0"},
            }
        )
    return manifests


def run(location: str, backend: str, versions: int, lookups: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with Registry.open(location, settings=Settings(), actor="bench") as registry:
        register_bases(registry)
        assets = max(1, versions // VERSIONS_PER_ASSET)
        documents = fine_tunes(versions)
        register = _timed([lambda d=d: registry.register(d) for d in documents])
        for asset in range(assets):
            registry.set_alias(f"model:acme/ft-{asset}", "production", f"1.0.{rng.randrange(VERSIONS_PER_ASSET)}")
        if backend == "postgresql":
            # As after any bulk load: give the planner statistics (autovacuum would, a minute later).
            with psycopg.connect(location, autocommit=True) as conn:
                conn.execute("ANALYZE")
        per_asset = min(VERSIONS_PER_ASSET, versions)
        exact_refs = [f"model:acme/ft-{rng.randrange(assets)}@1.0.{rng.randrange(per_asset)}" for _ in range(lookups)]
        range_refs = [f"model:acme/ft-{rng.randrange(assets)}@^1.0" for _ in range(lookups)]
        alias_refs = [f"model:acme/ft-{rng.randrange(assets)}@production" for _ in range(lookups)]
        exact = _timed([lambda r=r: registry.get(r) for r in exact_refs])
        by_range = _timed([lambda r=r: registry.resolve(r) for r in range_refs])
        by_alias = _timed([lambda r=r: registry.get(r) for r in alias_refs])
    return {
        "backend": backend,
        "versions": versions,
        "register": register,
        "exact_lookup": exact,
        "range_resolve": by_range,
        "alias_lookup": by_alias,
    }


def batch(location: str, versions: int, batch_size: int) -> dict[str, Any]:
    """``register_many`` of the versions of ``fine_tunes`` on a registry holding only the bases."""
    with Registry.open(location, settings=Settings(), actor="bench") as registry:
        register_bases(registry)
        documents = fine_tunes(versions)
        start = time.perf_counter()
        result = registry.register_many(documents, batch_size=batch_size)
        elapsed = time.perf_counter() - start
    if result.created != versions:
        raise SystemExit(f"register_many created {result.created} of {versions} versions")
    return {"versions_per_s": round(versions / elapsed, 1), "batch_size": batch_size, "seconds": round(elapsed, 3)}


# Tables the registry writes that sqlite3 must fill itself: FTS5 fills its shadow tables.
_FTS_COLUMNS = ("rowid", "name", "tags", "description", "body", "state")


def _added_rows(
    seeded: sqlite3.Connection, loaded: sqlite3.Connection, table: str, columns: list[str], key: list[str]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of ``table`` that ``loaded`` holds and ``seeded`` does not: (new keys, changed rows)."""
    select = f"SELECT {', '.join(columns)} FROM {table}"
    before = set(seeded.execute(select))
    positions = [columns.index(name) for name in key]
    keys = {tuple(row[i] for i in positions) for row in before}
    rows = [row for row in loaded.execute(select) if row not in before]
    added = [row for row in rows if tuple(row[i] for i in positions) not in keys]
    return added, [row for row in rows if tuple(row[i] for i in positions) in keys]


def sqlite_ceiling(seeded: Path, loaded: Path, versions: int) -> dict[str, Any]:
    """Insert the rows that the batch added to ``loaded`` (a copy of ``seeded`` once registered)
    into another copy of ``seeded`` with sqlite3 alone, in one transaction, an ``executemany``
    per table; rows it changed (pin counts) are replaced whole. Returns versions/s of that
    transaction."""
    plan: list[tuple[str, list[tuple[Any, ...]]]] = []
    with sqlite3.connect(seeded) as before, sqlite3.connect(loaded) as after:
        tables = [
            (table.name, [c.name for c in table.c], [c.name for c in table.primary_key])
            for table in metadata.sorted_tables
        ]
        for name, columns, key in [*tables, ("search_fts", list(_FTS_COLUMNS), ["rowid"])]:
            added, changed = _added_rows(before, after, name, columns, key)
            marks = ", ".join("?" * len(columns))
            for verb, rows in (("INSERT", added), ("INSERT OR REPLACE", changed)):
                if rows:
                    plan.append((f"{verb} INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "registry.db"
        with sqlite3.connect(seeded) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        connection = sqlite3.connect(target, isolation_level=None)
        try:
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
                connection.execute(f"PRAGMA {pragma}")
            start = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            for sql, rows in plan:
                connection.executemany(sql, rows)
            connection.execute("COMMIT")
            elapsed = time.perf_counter() - start
        finally:
            connection.close()
    return {"versions_per_s": round(versions / elapsed, 1), "rows": sum(len(rows) for _, rows in plan)}


def sqlite_batch(versions: int, batch_size: int) -> dict[str, Any]:
    """Batch registration on SQLite, beside sqlite3 inserting the same rows (the ceiling)."""
    with tempfile.TemporaryDirectory() as folder:
        seeded, loaded = Path(folder) / "seeded", Path(folder) / "loaded"
        with Registry.open(str(seeded), settings=Settings(), actor="bench") as registry:
            register_bases(registry)
        shutil.copytree(seeded, loaded)
        figures = batch(str(loaded), versions, batch_size)
        figures["sqlite3_ceiling"] = sqlite_ceiling(seeded / "registry.db", loaded / "registry.db", versions)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=1000, help="documents per register_many transaction")
    parser.add_argument("--no-batch", action="store_true", help="leave out batch registration")
    parser.add_argument("--postgres", metavar="URL", help="also run on a scratch database of this server")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(folder, "sqlite", args.versions, args.lookups, args.seed))
        if not args.no_batch:
            results[-1]["register_many"] = sqlite_batch(args.versions, args.batch_size)
    if args.postgres:
        name = f"llmr_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = sa.make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            results.append(run(url, "postgresql", args.versions, args.lookups, args.seed))
            if not args.no_batch:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    conn.execute(f'CREATE DATABASE "{name}"')
                results[-1]["register_many"] = batch(url, args.versions, args.batch_size)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for result in results:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
