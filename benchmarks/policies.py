"""What policies cost a registration: embedded registrations on SQLite (one transaction each)
with no policy in force and with one policy of 20 rules over ``asset``, ``actor`` and ``stats``
(none of them matching, so every registration goes through and every rule is evaluated).

    python benchmarks/policies.py [--postgres URL] [--versions 3000] [--rounds 6]

The two registries take turns, ``--versions / --rounds`` registrations at a time, so the
machine's noise falls on both alike. Prints JSON: per registration p50/p95/p99 in microseconds
for each, ``overhead`` (the ratio of the medians, minus one), and ``per_rule_us``: the 20 rules
evaluated alone, over the same context, divided by 20.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_registry.domain.kinds import Kind
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.governance.policies import Operation, compile_policy, evaluate
from llm_registry.registry import Registry
from llm_registry.settings import Settings

EXPRESSIONS = [
    '!has(asset.labels.license)',
    '!asset.name.matches("^[a-z]+-[a-z0-9-]+$")',
    "stats.versions_today >= 1000000",
    'actor.role == "viewer"',
    'asset.namespace.startsWith("frozen")',
    "size(asset.dependencies) > 50",
    'asset.version.startsWith("0.0.")',
    'has(asset.labels.tags) && "blocked" in asset.labels.tags',
    'asset.kind == "model" && !has(asset.spec.architecture)',
    'actor.api_key && actor.role != "admin" && asset.namespace == "prod"',
    'asset.namespace in ["secret", "legal"] && !(asset.namespace in actor.grants)',
    'has(asset.labels.description) && size(asset.labels.description) > 10000',
    'asset.status != "active"',
    'asset.kind == "model" && has(asset.spec.parameters) && asset.spec.parameters > 1000000000000',
    'asset.name.endsWith("-tmp")',
    'stats.versions_today > 100000 && actor.role != "admin"',
    'asset.full_name.contains("..")',
    'asset.labels.license in ["proprietary-unreviewed"]',
    'actor.name == "blocked-user"',
    'asset.dependencies.exists(d, d.ref.startsWith("dataset:quarantine/"))',
]
POLICY = {
    "kind": "policy", "name": "bench/rules", "version": "1.0.0",
    "spec": {"scope": {"kinds": ["model"]},
             "rules": [{"name": f"rule-{n:02}", "on": ["register"], "when": w, "effect": "deny",
                        "message": f"rule {n} refuses"} for n, w in enumerate(EXPRESSIONS)]},
}


def document(number: int) -> dict[str, Any]:
    return {"kind": "model", "name": f"bench/chat-{number % 50}", "version": f"1.{number // 50}.0",
            "spec": {"architecture": "llama", "parameters": 8_000_000_000},
            "labels": {"license": "apache-2.0", "description": "a benchmark model", "tags": ["bench"]}}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6, 1)

    return {"p50_us": at(0.50), "p95_us": at(0.95), "p99_us": at(0.99),
            "per_s": round(len(samples) / sum(samples))}


def per_rule(rounds: int = 2000) -> float:
    policy = compile_policy(POLICY["spec"], "policy:bench/rules@1.0.0")
    doc = document(1)
    context = {
        "asset": {"kind": "model", "namespace": "bench", "name": "chat-1", "full_name": "bench/chat-1",
                  "ref": "model:bench/chat-1@1.0.0", "version": "1.0.0", "spec": doc["spec"], "labels": doc["labels"],
                  "status": "active", "dependencies": []},
        "actor": {"name": "bench", "username": "bench", "role": "admin", "api_key": False, "grants": []},
        "operation": "register", "target": {}, "stats": {"versions_today": 10},
    }
    outcomes = evaluate([policy], Operation.REGISTER, Kind.MODEL, "bench", context)
    if len(outcomes) != len(EXPRESSIONS) or any(o.matched for o in outcomes):
        raise SystemExit(f"the benchmark's rules must all be evaluated and none match: {outcomes}")
    started = time.perf_counter()
    for _ in range(rounds):
        evaluate([policy], Operation.REGISTER, Kind.MODEL, "bench", context)
    return round((time.perf_counter() - started) / rounds / len(EXPRESSIONS) * 1e6, 2)


def open_registry(location: str) -> EmbeddedRegistry:
    opened = Registry.open(location, settings=Settings(), actor="bench")
    assert isinstance(opened, EmbeddedRegistry)
    return opened


def run(locations: tuple[str, str], versions: int, rounds: int) -> dict[str, Any]:
    plain, governed = open_registry(locations[0]), open_registry(locations[1])
    try:
        governed.register(POLICY)
        governed.set_alias("policy:bench/rules", "active", "1.0.0")
        assert len(governed.policies()[0].rules) == len(EXPRESSIONS)
        for registry in (plain, governed):  # warm: caches, prepared statements, the compiled policy
            registry.register(document(versions + 1))
        samples: dict[str, list[float]] = {"rules_0": [], "rules_20": []}
        step = max(1, versions // rounds)
        for start in range(0, versions, step):
            for name, registry in (("rules_0", plain), ("rules_20", governed)):
                for number in range(start, min(versions, start + step)):
                    begun = time.perf_counter()
                    registry.register(document(number))
                    samples[name].append(time.perf_counter() - begun)
    finally:
        plain.close()
        governed.close()
    figures: dict[str, Any] = {name: percentiles(values) for name, values in samples.items()}
    figures["overhead"] = round(
        statistics.median(samples["rules_20"]) / statistics.median(samples["rules_0"]) - 1, 3
    )
    figures["per_rule_us"] = per_rule()
    figures["versions"] = versions
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="policies.py", description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (two databases are made: "
                                                          "URL's name + _plain and _rules)")
    parser.add_argument("--versions", type=int, default=3000, help="registrations per registry")
    parser.add_argument("--rounds", type=int, default=6, help="turns the two registries take")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        out["sqlite"] = run((str(Path(folder) / "plain"), str(Path(folder) / "rules")), args.versions, args.rounds)
    if args.postgres:
        out["postgresql"] = run(_postgres_pair(args.postgres), args.versions, args.rounds)
    print(json.dumps(out, indent=2))


def _postgres_pair(url: str) -> tuple[str, str]:
    import psycopg

    base, _, name = url.rpartition("/")
    pair = (f"{name}_plain", f"{name}_rules")
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        for database in pair:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{pair[0]}", f"{base}/{pair[1]}"


if __name__ == "__main__":
    main()
