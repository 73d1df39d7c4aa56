"""Embedded registry benchmark: registration and lookups on SQLite and PostgreSQL.

    python benchmarks/embedded.py                       # SQLite, 10,000 versions
    python benchmarks/embedded.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/embedded.py --versions 2000 --lookups 5000

Registers N versions (each with 2 dependencies, 3 tags and a ~500-byte spec), one
transaction per registration, then looks them up by exact reference, by range and by
alias. Prints one JSON object per backend with ops/s and p50/p99 latency in ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa

from llm_registry import Registry, Settings

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", metavar="URL", help="also run on a scratch database of this server")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(folder, "sqlite", args.versions, args.lookups, args.seed))
    if args.postgres:
        name = f"llmr_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = sa.make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            results.append(run(url, "postgresql", args.versions, args.lookups, args.seed))
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for result in results:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
