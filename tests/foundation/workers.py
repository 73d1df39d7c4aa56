"""Worker processes for the fault tests (run as ``python -m tests.foundation.workers COMMAND …``).

Each prints one JSON object per line on stdout, flushed, so the test can follow it while it runs:
``{"ready": …}`` before it waits, then what happened. Go signals are files the test creates.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from llm_registry.errors import RegistryError
from llm_registry.registry import Registry
from llm_registry.settings import Settings


def say(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def wait_for(path: str) -> None:
    while not os.path.exists(path):
        time.sleep(0.001)


def attempt(action: Any) -> dict[str, Any]:
    try:
        result = action()
    except RegistryError as error:
        return {"error": error.code, "class": type(error).__name__}
    except Exception as error:  # a fault the registry did not turn into one of its errors
        return {"crash": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": getattr(result, "id", None)}


def race(location: str, rounds_json: str, go_prefix: str) -> None:
    """Register one manifest per round, each when the round's go file appears."""
    registry = Registry.open(location, settings=Settings(), actor=f"worker-{os.getpid()}")
    for index, manifest in enumerate(json.loads(rounds_json)):
        say(ready=index)
        wait_for(f"{go_prefix}{index}")
        say(round=index, **attempt(lambda manifest=manifest: registry.register(manifest)))
    registry.close()


def first_open(location: str, go: str) -> None:
    """Open a registry (creating its schema) when the go file appears."""
    say(ready=0)
    wait_for(go)

    def open_and_close() -> None:
        Registry.open(location, settings=Settings(), actor="opener").close()

    say(round=0, **attempt(open_and_close))


def register_forever(location: str) -> None:
    """Register versions one after another, printing each one once register() returned."""
    registry = Registry.open(location, settings=Settings(), actor="looper")
    say(ready=0)
    for minor in range(1_000_000):
        version = f"1.{minor}.0"
        registry.register({
            "kind": "model", "name": "acme/loop", "version": version, "spec": {"architecture": "llama", "n": minor},
            "dependencies": [{"ref": "model:acme/base@^1", "relation": "derived_from"},
                             {"ref": "dataset:acme/data", "relation": "trained_on"}],
            "labels": {"description": f"v{minor}", "tags": ["loop"], "annotations": {"minor": str(minor)}},
        })
        say(acknowledged=version)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"race": race, "first_open": first_open, "register_forever": register_forever}[command](*arguments)
