"""The discovery verbs through the real CLI, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner, Result

from llm_registry.cli.main import build_app
from llm_registry.embedded import EmbeddedRegistry
from tests.discovery.conftest import manifest

app = build_app()
ENV: dict[str, str | None] = {"LLM_REGISTRY_URL": None, "LLM_REGISTRY_ACTOR": "tester", "COLUMNS": None}


@pytest.fixture
def run(location: str) -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--registry", location, *args], env=ENV, catch_exceptions=False)

    return invoke


@pytest.fixture
def graph(registry: EmbeddedRegistry) -> EmbeddedRegistry:
    registry.register(manifest("dataset", "acme/qa", labels={"description": "questions and answers"}))
    registry.register(manifest("model", "acme/base", deps=[("dataset:acme/qa", "trained_on")]))
    return registry


def test_lineage_formats(graph: EmbeddedRegistry, run: Any) -> None:
    result = run("lineage", "model:acme/base@1.0.0", "--direction", "up", "--json")
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert data["edges"] == [{"from": "model:acme/base@1.0.0", "to": "dataset:acme/qa@1.0.0", "relation": "trained_on"}]
    assert run("lineage", "model:acme/base@1.0.0", "--format", "dot").stdout.startswith("digraph")
    assert run("lineage", "model:acme/base@1.0.0", "--format", "mermaid").stdout.startswith("flowchart")
    assert "trained_on" in run("lineage", "model:acme/base@1.0.0").stdout
    bad = run("lineage", "model:acme/base@1.0.0", "--direction", "sideways")
    assert bad.exit_code == 1
    assert "error: invalid_parameter" in bad.stderr


def test_impact(graph: EmbeddedRegistry, run: Any) -> None:
    data = orjson.loads(run("impact", "dataset:acme/qa@1.0.0", "--json").stdout)
    assert [i["ref"] for i in data["items"]] == ["model:acme/base@1.0.0"]
    assert "model:acme/base@1.0.0" in run("impact", "dataset:acme/qa@1.0.0").stdout


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_lock_then_verify(graph: EmbeddedRegistry, run: Any, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"registry.lock.{suffix}"
    result = run("lock", "model:acme/base", "-o", str(path))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(path.read_text())
    assert [e["ref"] for e in data["entries"]] == ["dataset:acme/qa@1.0.0", "model:acme/base@1.0.0"]
    ok = run("verify", "--lock", str(path))
    assert ok.exit_code == 0
    assert "unchanged" in ok.stdout
    graph.yank("dataset:acme/qa@1.0.0")
    changed = run("verify", "--lock", str(path), "--json")
    assert changed.exit_code == 1
    report = orjson.loads(changed.stdout)
    assert [e["status"] for e in report["entries"]] == ["yanked", "ok"]


def test_lock_to_stdout_and_bad_lockfile(graph: EmbeddedRegistry, run: Any, tmp_path: Path) -> None:
    printed = orjson.loads(run("lock", "dataset:acme/qa").stdout)
    assert printed["lockfile_version"] == 1
    bad = tmp_path / "bad.lock"
    bad.write_text("[1, 2")
    result = run("verify", "--lock", str(bad))
    assert result.exit_code == 1
    assert "invalid_parameter" in result.stderr


def test_search(graph: EmbeddedRegistry, run: Any) -> None:
    data = orjson.loads(run("search", "questions", "--facet", "kind", "--json").stdout)
    assert [i["ref"] for i in data["items"]] == ["dataset:acme/qa@1.0.0"]
    assert data["facets"] == {"kind": {"dataset": 1}}
    assert data["next_cursor"] is None
    listed = run("search", "--kind", "model", "--filter", "name ~ bas*", "--sort", "name", "--limit", "1")
    assert "model:acme/base@1.0.0" in listed.stdout
    bad = run("search", "--filter", "kind = = model", "--json")
    assert bad.exit_code == 1
    error = orjson.loads(bad.stderr)["error"]
    assert (error["code"], error["field"]) == ("invalid_filter", "filter")
    assert "column 8" in error["message"]


def test_an_empty_search_says_no_results(run: Any) -> None:
    result = run("search", "nothing-matches-this")
    assert (result.exit_code, result.stdout) == (0, "no results\n")
