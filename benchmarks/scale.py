"""Discovery at scale: search, deep pages, lineage and impact on a generated registry.

    python benchmarks/scale.py                      # 100,000 versions on SQLite (a temporary folder)
    python benchmarks/scale.py --versions 20000     # smaller
    python benchmarks/scale.py --postgres postgresql://postgres@127.0.0.1:5432/test    # in a scratch database

Generates assets (one tenth of the versions) of every kind with realistic text, and a
dependency DAG (models trained on datasets and derived from older models, pipelines using
models and prompts, one dataset used by many models). The versions are written by
``register_many``, a thousand per transaction (each with exactly what a registration of its own
writes: a test checks that they are identical), so that 100,000 versions take about a minute on
SQLite and two to four on PostgreSQL instead of the better part of an hour. PostgreSQL then gets
ANALYZE, as autovacuum would give it.

Prints JSON with p50/p95 in milliseconds for the operations of issue 5: full-text search with
two filters and facets, a filter-only search, the first page and the 200th page (10,000
versions deep) of a cursor listing, lineage to depth 10, impact analysis on the widely used
dataset. Each operation runs over all its inputs once untimed, then timed: steady state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings

WORDS = [
    "llama", "mistral", "qwen", "gemma", "phi", "falcon", "bert", "support", "chat", "legal", "medical", "finance",
    "code", "math", "reasoning", "summarise", "translate", "retrieval", "rerank", "classify", "extract",
    "instruct", "tuned", "long", "context", "multilingual", "safety", "toxicity", "customer", "tickets", "faq",
    "invoices", "contracts", "radiology", "genomics", "sql", "python", "rust", "agent", "tools", "vision",
    "speech",
]
LICENSES = ["apache-2.0", "mit", "llama3", "cc-by-4.0", "gpl-3.0", "proprietary"]
TAGS = ["chat", "support", "rag", "eval", "base", "instruct", "quantized", "english", "multilingual", "code"]
ARCHITECTURES = ["llama", "mistral", "qwen", "gemma", "phi"]
KINDS = ["dataset"] * 20 + ["model"] * 40 + ["prompt"] * 20 + ["pipeline"] * 15 + ["test_suite"] * 5


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def manifests(versions: int, probes: dict[str, Any], seed: int = 7) -> Iterator[dict[str, Any]]:
    """``versions`` manifests over ``versions // 10`` assets, each pinning only versions yielded
    before it (so the graph is a DAG). Fills ``probes``: the popular dataset, pipeline leaves."""
    rng = random.Random(seed)
    asset_count = max(versions // 10, 10)
    # Version counts: most assets have a few, some have many (the total is exact).
    counts = [1] * asset_count
    for _ in range(versions - asset_count):
        skewed = min(int(rng.paretovariate(1.2)) - 1, asset_count - 1)
        counts[skewed if rng.random() < 0.1 else rng.randrange(asset_count)] += 1
    by_kind: dict[str, list[tuple[str, str]]] = {k: [] for k in set(KINDS)}
    popular_dataset = None
    probes.update(assets=asset_count, leaves=[])
    for index in range(asset_count):
        kind = KINDS[index % len(KINDS)] if index >= 2 else ("dataset" if index == 0 else "model")
        namespace = f"team{rng.randrange(50)}"
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
        ref_base = f"{kind}:{namespace}/{name}"
        for number in range(counts[index]):
            version = f"{1 + number // 100}.{number % 100}.0"
            deps: list[dict[str, str]] = []
            spec: dict[str, Any] = {}
            if kind == "model":
                spec = {"architecture": rng.choice(ARCHITECTURES),
                        "parameters": rng.choice([1e9, 7e9, 8e9, 70e9]),
                        "context_length": rng.choice([4096, 8192, 32768, 131072]), "card": sentence(rng, 30)}
                if popular_dataset and rng.random() < 0.3:
                    deps.append({"ref": popular_dataset, "relation": "trained_on"})
                elif by_kind["dataset"]:
                    deps.append({"ref": _pick(rng, by_kind["dataset"]), "relation": "trained_on"})
                if len(by_kind["model"]) > 1 and rng.random() < 0.8:
                    deps.append({"ref": _pick(rng, by_kind["model"][-200:]), "relation": "derived_from"})
            elif kind == "dataset":
                spec = {"format": rng.choice(["jsonl", "parquet"]), "rows": rng.randrange(1000, 10**7)}
            elif kind == "prompt":
                spec = {"template": sentence(rng, 20)}
            elif kind == "pipeline":
                if by_kind["model"]:
                    deps.append({"ref": _pick(rng, by_kind["model"][-500:]), "relation": "uses"})
                if by_kind["prompt"]:
                    deps.append({"ref": _pick(rng, by_kind["prompt"]), "relation": "uses"})
            elif kind == "test_suite" and by_kind["dataset"]:
                deps.append({"ref": _pick(rng, by_kind["dataset"]), "relation": "requires"})
            yield {
                "kind": kind, "name": f"{namespace}/{name}", "version": version, "spec": spec, "dependencies": deps,
                "labels": {"description": sentence(rng, 12), "license": rng.choice(LICENSES),
                           "tags": rng.sample(TAGS, rng.randrange(1, 4)), "annotations": {"team": namespace}},
            }
        by_kind[kind].append((ref_base, version))
        if index == 0:
            popular_dataset = probes["popular_dataset"] = f"{ref_base}@{version}"
        if kind == "pipeline":
            probes["leaves"].append(f"{ref_base}@{version}")


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A bar of the versions written, with their rate, on a terminal (stderr); nothing elsewhere."""
    from llm_registry.cli.progress import count_progress

    with count_progress("generating", total, enabled=True) as advance:
        yield advance


def generate(registry: EmbeddedRegistry, versions: int, *, batch: int = 1000) -> dict[str, Any]:
    """Write ``versions`` versions (``versions // 10`` assets) with ``register_many``, ``batch`` per
    transaction; returns probes for the benchmarks. A sample registered again must come back
    unchanged (an identical document)."""
    probes: dict[str, Any] = {}
    sample: list[dict[str, Any]] = []
    started = time.perf_counter()

    def sampled(source: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for i, manifest in enumerate(source):
            if i % 997 == 0:
                sample.append(manifest)
            yield manifest

    with _progress(versions) as advance:
        result = registry.register_many(sampled(manifests(versions, probes)), batch_size=batch, progress=advance)
    assert result.created == versions, result.model_dump(exclude={"items"})
    probes["seconds"] = time.perf_counter() - started
    again = registry.register_many(sample)
    assert again.unchanged == len(sample), again.model_dump(exclude={"items"})
    return probes


def _pick(rng: random.Random, pool: list[tuple[str, str]]) -> str:
    base, version = rng.choice(pool)
    return f"{base}@{version}"


def measure(operation: Callable[[int], object], repeat: int, *, inputs: int | None = None) -> dict[str, float]:
    """p50/p95 in ms of ``operation(0..repeat-1)`` in steady state: each of its ``inputs`` distinct
    inputs (default: every call differs) runs once untimed first, so that each measure sees the
    database's caches as a busy registry keeps them."""
    for i in range(repeat if inputs is None else min(inputs, repeat)):
        operation(i)
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        operation(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[math.ceil(len(times) * 0.95) - 1], 2)}


def benchmark(registry: EmbeddedRegistry, probes: dict[str, Any], repeat: int) -> dict[str, dict[str, float]]:
    """p50/p95 of the operations of issue 5 on a generated registry."""
    rng = random.Random(11)
    queries = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(repeat + 1)]
    facets = ["kind", "license", "tags", "status", "spec.architecture"]
    cursors: list[str | None] = [None]
    for _ in range(200):  # a cursor 200 pages (10,000 versions) deep
        cursors.append(registry.search(sort="name", all_versions=True, limit=50, cursor=cursors[-1]).next_cursor)
    leaves = probes["leaves"] or [probes["popular_dataset"]]
    return {
        "fulltext_two_filters_facets": measure(lambda i: registry.search(
            queries[i], filter='license = "apache-2.0" AND spec.context_length >= 8192', facets=facets), repeat),
        "filter_only": measure(lambda i: registry.search(
            filter="kind = model AND spec.parameters >= 7e9 AND tags = chat", sort="created"), repeat, inputs=1),
        "cursor_first_page": measure(
            lambda i: registry.search(sort="name", all_versions=True, limit=50), repeat, inputs=1
        ),
        "cursor_page_200": measure(lambda i: registry.search(
            sort="name", all_versions=True, limit=50, cursor=cursors[-1]), repeat, inputs=1),
        "lineage_depth_10": measure(lambda i: registry.lineage(
            leaves[i % len(leaves)], direction="up", depth=10), repeat),
        # Tens of thousands of dependents each time: fewer runs.
        "impact_popular_dataset": measure(
            lambda i: registry.impact(probes["popular_dataset"]), min(repeat, 20), inputs=1
        ),
    }


def run(location: str, versions: int, repeat: int) -> dict[str, Any]:
    with Registry.open(location, settings=Settings(), actor="bench") as registry:
        assert isinstance(registry, EmbeddedRegistry)
        probes = generate(registry, versions)
        analyze(registry)
        results = benchmark(registry, probes, repeat)
        impact_size = len(registry.impact(probes["popular_dataset"]).items)
    return {"backend": "postgresql" if location.startswith("postgres") else "sqlite", "versions": versions,
            "assets": probes["assets"], "generate_seconds": round(probes["seconds"], 1),
            "impact_dependents": impact_size, "operations": results}


def analyze(registry: EmbeddedRegistry) -> None:
    """Refresh PostgreSQL's planner statistics after the bulk load, as autovacuum does on its own
    after a tenth of a table changes (the test server runs with autovacuum off). SQLite is left
    as the registry leaves it: it gathers no statistics, and its plans must not need them."""
    if registry.store.backend == "postgresql":
        with registry.store.engine.connect() as connection:  # type: ignore[attr-defined]
            connection.execute(sa.text("ANALYZE"))
            connection.commit()


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A new database on the server of ``url`` (which is only connected to), dropped afterwards;
    commits are asynchronous there to keep generation short."""
    name = f"llmr_scale_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=100_000, help="versions to generate (assets: a tenth)")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument(
        "--postgres", metavar="URL", help="benchmark PostgreSQL, in a scratch database created on that server"
    )
    args = parser.parse_args(argv)
    with (
        scratch_postgres(args.postgres) if args.postgres else tempfile.TemporaryDirectory(prefix="llmr-bench-")
    ) as location:
        print(json.dumps(run(location, args.versions, args.repeat), indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
