"""CLI start-up benchmark: the installed ``llm-registry`` console script, timed as whole processes.

    python benchmarks/cli.py                  # 40 runs of each command
    python benchmarks/cli.py --runs 100 --warmup 5

Creates a small local (SQLite) registry in a temporary folder, then runs each command as a new
process, ``--runs`` times after ``--warmup`` uncounted runs, the commands taking turns (one run
of each, then the next round) so that a machine whose speed drifts slows them all alike:

* ``help``: ``llm-registry --help``;
* ``version``: ``llm-registry --version``;
* ``get``: ``llm-registry --registry DIR get model:acme/ft-0@1.0.3``;
* ``resolve``: ``llm-registry --registry DIR resolve model:acme/ft-0@^1.0``;
* ``versions``: ``llm-registry --registry DIR versions model:acme/ft-0``.

The console script is the one next to this Python (``.venv/bin/llm-registry``): what users run.
Bytecode is cached in the temporary folder (``PYTHONPYCACHEPREFIX``), as an installed package
has it, even when the environment says ``PYTHONDONTWRITEBYTECODE``; the warm-up runs fill that
cache and the OS file cache. Prints one JSON object per command: median, p95 and min wall time
in ms over the counted runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_registry import Registry, Settings

ASSET = "model:acme/ft-0"
VERSIONS = 12


def console_script() -> str:
    """The ``llm-registry`` script installed beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).parent / "llm-registry"
    if beside.is_file():
        return str(beside)
    found = shutil.which("llm-registry")
    if found is None:
        raise SystemExit("the llm-registry console script is not installed (pip install -e .)")
    return found


def create_registry(folder: Path) -> None:
    """A few versions of one model (one of them aliased) and a dataset, as a small registry has."""
    with Registry.open(str(folder), settings=Settings(), actor="bench") as registry:
        registry.register({"kind": "dataset", "name": "acme/tickets", "version": "2.1.0",
                           "spec": {"format": "jsonl", "rows": 1200}})
        for patch in range(VERSIONS):
            registry.register({
                "kind": "model",
                "name": ASSET.removeprefix("model:"),
                "version": f"1.0.{patch}",
                "spec": {"architecture": "llama", "parameters": 8_030_000_000, "context_length": 8192,
                         "card": "A support fine-tune.\nTrained on curated tickets.\n"},
                "dependencies": [{"ref": "dataset:acme/tickets@^2.0", "relation": "trained_on"}],
                "labels": {"tags": ["chat", "support"], "license": "apache-2.0", "description": f"Fine-tune {patch}"},
            })
        registry.set_alias(ASSET, "production", "1.0.3")


def commands(script: str, folder: Path) -> dict[str, list[str]]:
    location = ["--registry", str(folder)]
    return {
        "help": [script, "--help"],
        "version": [script, "--version"],
        "get": [script, *location, "get", f"{ASSET}@1.0.3"],
        "resolve": [script, *location, "resolve", f"{ASSET}@^1.0"],
        "versions": [script, *location, "versions", ASSET],
    }


def environment(pycache: Path) -> dict[str, str]:
    """This environment without the registry's own variables, with bytecode cached in ``pycache``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["LLM_REGISTRY_ACTOR"] = "bench"
    return env


def run_once(argv: list[str], env: dict[str, str]) -> int:
    """Wall time of one run in ns; raises when the command fails."""
    start = time.perf_counter_ns()
    completed = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter_ns() - start
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {completed.returncode}: {completed.stderr.decode()}")
    return elapsed


def summary(name: str, argv: list[str], folder: Path, samples: list[int]) -> dict[str, Any]:
    """The figures of one command, its registry folder written ``DIR``."""
    ordered = sorted(samples)
    return {
        "name": name,
        "command": " ".join(["llm-registry", *("DIR" if arg == str(folder) else arg for arg in argv[1:])]),
        "runs": len(ordered),
        "median_ms": round(statistics.median(ordered) / 1e6, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] / 1e6, 1),
        "min_ms": round(ordered[0] / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="counted runs of each command")
    parser.add_argument("--warmup", type=int, default=3, help="uncounted runs of each command first")
    args = parser.parse_args(argv)
    script = console_script()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "registry"
        create_registry(folder)
        env = environment(Path(temporary) / "pycache")
        timed = commands(script, folder)
        samples: dict[str, list[int]] = {name: [] for name in timed}
        for round_number in range(args.warmup + args.runs):
            for name, command in timed.items():
                elapsed = run_once(command, env)
                if round_number >= args.warmup:
                    samples[name].append(elapsed)
    for name, command in timed.items():
        print(json.dumps(summary(name, command, folder, samples[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
