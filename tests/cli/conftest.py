"""Fixtures for driving the real CLI in-process against a real registry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner, Result

from llm_registry.cli.main import build_app

# The CLI as the console script builds it (``main()`` builds it when it runs).
app = build_app()
ACTOR = "tester"
# The CLI must not pick up the developer's own registry, actor or token.
ISOLATED_ENV: dict[str, str | None] = {
    "LLM_REGISTRY_URL": None,
    "LLM_REGISTRY_TOKEN": None,
    "LLM_REGISTRY_ACTOR": ACTOR,
    "LLM_REGISTRY_DEFAULT_NAMESPACE": None,
    "COLUMNS": None,
}

MODEL: dict[str, Any] = {
    "kind": "model",
    "name": "acme/llama-ft",
    "version": "1.0.0",
    "spec": {"architecture": "llama", "parameters": 8030000000, "context_length": 8192, "format": "safetensors"},
    "labels": {"description": "Support fine-tune", "license": "apache-2.0", "tags": ["chat"],
               "annotations": {"team": "nlp"}},
}
DATASET: dict[str, Any] = {
    "kind": "dataset",
    "name": "acme/tickets",
    "version": "2.1.0",
    "spec": {"format": "jsonl", "rows": 1200},
}
PROMPT: dict[str, Any] = {
    "kind": "prompt",
    "name": "acme/support",
    "version": "1.0.0",
    "spec": {
        "template": "Answer {{ name }} in {{ n }} lines.{% for t in topics %} #{{ t }}{% endfor %}",
        "variables": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "n": {"type": "integer", "default": 3},
                "topics": {"type": "array", "items": {"type": "string"}, "default": []},
            },
        },
    },
}
CHAT_PROMPT: dict[str, Any] = {
    "kind": "prompt",
    "name": "acme/chat",
    "version": "1.0.0",
    "spec": {
        "messages": [
            {"role": "system", "content": "You are {{ tone }}."},
            {"role": "user", "content": "{{ question }}"},
        ],
        "variables": {"type": "object", "properties": {"tone": {"type": "string", "default": "brief"},
                                                       "question": {"type": "string"}}},
    },
}


def write_yaml(manifest: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(manifest), sort_keys=False)


def with_version(manifest: Mapping[str, Any], version: str, **changes: Any) -> dict[str, Any]:
    return {**manifest, "version": version, **changes}


Run = Callable[..., Result]
RunJson = Callable[..., Any]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner) -> Run:
    """Run the CLI with exactly these arguments (no --registry added); bugs raise, not hide."""

    def run(*args: str, input: str | None = None, env: Mapping[str, str | None] | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, env={**ISOLATED_ENV, **(env or {})},
                             catch_exceptions=False)

    return run


@pytest.fixture
def cli(invoke: Run, location: str) -> Run:
    """Run the CLI on the test registry (``--registry LOCATION`` first, like a user would)."""

    def run(*args: str, input: str | None = None, env: Mapping[str, str | None] | None = None) -> Result:
        return invoke("--registry", location, *args, input=input, env=env)

    return run


@pytest.fixture
def cli_json(cli: Run) -> RunJson:
    """Run a verb with ``--json``, assert success, return the parsed stdout."""

    def run(*args: str, input: str | None = None) -> Any:
        result = cli(*args, "--json", input=input)
        assert result.exit_code == 0, result.output
        return orjson.loads(result.stdout)

    return run


@pytest.fixture
def write_manifest(tmp_path: Path) -> Callable[..., Path]:
    """Write a manifest as YAML (or JSON) into tmp_path and return its path."""
    counter = iter(range(1_000_000))

    def write(manifest: Mapping[str, Any], *, as_json: bool = False) -> Path:
        suffix = "json" if as_json else "yaml"
        path = tmp_path / f"manifest-{next(counter)}.{suffix}"
        text = orjson.dumps(dict(manifest)).decode() if as_json else yaml.safe_dump(dict(manifest), sort_keys=False)
        path.write_text(text)
        return path

    return write


@pytest.fixture
def register(cli_json: RunJson, write_manifest: Callable[..., Path]) -> Callable[[Mapping[str, Any]], Any]:
    """Register a manifest through the CLI and return the document it printed."""

    def run(manifest: Mapping[str, Any]) -> Any:
        return cli_json("register", str(write_manifest(manifest)))

    return run


def walk_commands() -> list[tuple[str, Any]]:
    """Every command of the CLI as (path such as ``alias set``, click command), groups included."""
    import typer.main

    found: list[tuple[str, Any]] = []

    def visit(prefix: str, command: Any) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            path = f"{prefix} {name}".strip()
            found.append((path, sub))
            visit(path, sub)

    visit("", typer.main.get_command(app))
    return found


def is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def long_options(command: Any) -> list[str]:
    """The ``--long`` option names a command declares (``--help`` aside)."""
    names = [opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")]
    return [name for name in names if name != "--help"]
