"""``llm-registry eval`` through the real CLI: record (metrics, details file), ls, show, compare,
--json in the REST shapes, and errors as ``error: <code>: <message>``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from llm_registry.cli.main import build_app
from llm_registry.registry import Registry
from tests.evaluations.conftest import seed

app = build_app()
ENV: dict[str, str | None] = {"LLM_REGISTRY_URL": None, "LLM_REGISTRY_TOKEN": None, "LLM_REGISTRY_ACTOR": "tester",
                              "COLUMNS": None}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def run(location: str) -> Any:
    with Registry.open(location, actor="tester") as registry:
        seed(registry)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--registry", location, *args], env=ENV, catch_exceptions=False)

    return invoke


def test_record_list_show_compare(run: Any, tmp_path: Path) -> None:
    details = tmp_path / "details.json"
    details.write_text(json.dumps({"cases": 120}))
    first = run("eval", "record", "model:acme/support-bot@1.0.0", "--suite", "acme/support-evals@^2",
                "--metric", "accuracy=0.85", "--metric", "f1=0.8", "--dataset", "dataset:acme/tickets",
                "--prompt", "prompt:acme/answer", "--details-file", str(details))
    assert first.exit_code == 0, first.output
    assert first.stdout.endswith(": model:acme/support-bot@1.0.0 on test_suite:acme/support-evals@2.1.0: "
                                 "accuracy=0.85 f1=0.8\n")
    second = run("--json", "eval", "record", "model:acme/support-bot@1.1.0", "--suite",
                 "test_suite:acme/support-evals@2.0.0", "--metric", "accuracy=0.91")
    recorded = orjson.loads(second.stdout)
    assert (recorded["metrics"], recorded["created_by"]) == ({"accuracy": 0.91}, "tester")

    listed = orjson.loads(run("eval", "ls", "--suite", "acme/support-evals@^2", "--json").stdout)
    assert [e["subject"] for e in listed["items"]] == ["model:acme/support-bot@1.1.0", "model:acme/support-bot@1.0.0"]
    assert listed["next_cursor"] is None
    paged = run("eval", "ls", "--subject", "model:acme/support-bot@1.0.0", "--limit", "1")
    assert "accuracy=0.85 f1=0.8" in paged.stdout
    assert "more:" not in paged.stdout
    table = run("eval", "ls").stdout.splitlines()
    assert table[0].split() == ["ID", "SUBJECT", "SUITE", "METRICS", "RECORDED", "BY"]
    assert len(table) == 3

    shown = run("eval", "show", recorded["id"])
    assert "metrics.accuracy  0.91" in shown.stdout
    assert orjson.loads(run("eval", "show", recorded["id"], "--json").stdout) == recorded
    first_id = listed["items"][1]["id"]
    assert '{"cases":120}' in run("eval", "show", first_id).stdout

    compared = run("eval", "compare", "model:acme/support-bot@1.0.0", "model:acme/support-bot@1.1.0",
                   "--suite", "acme/support-evals")
    lines = compared.stdout.splitlines()
    assert lines[0].split() == ["VERSION", "SUITE", "accuracy", "f1"]
    assert lines[2].split() == ["model:acme/support-bot@1.1.0", "test_suite:acme/support-evals@2.0.0", "0.91",
                                "(+0.06)"]
    as_json = orjson.loads(run("eval", "compare", "model:acme/support-bot@1.0.0", "model:acme/support-bot@1.1.0",
                               "--suite", "acme/support-evals", "--json").stdout)
    assert as_json["versions"][1]["differences"] == {"accuracy": 0.06, "f1": None}


def test_errors(run: Any) -> None:
    bad = run("eval", "record", "model:acme/support-bot", "--suite", "acme/support-evals", "--metric", "accuracy=high")
    assert bad.exit_code == 1
    assert bad.stderr == "error: invalid_parameter: metrics.accuracy must be a finite number, got 'high'\n"
    twice = run("--json", "eval", "record", "model:acme/support-bot", "--suite", "acme/support-evals",
                "--metric", "a=1", "--metric", "a=2")
    assert orjson.loads(twice.stderr)["error"]["field"] == "metrics.a"
    assert run("eval", "record", "model:acme/support-bot", "--suite", "acme/support-evals",
               "--metric", "accuracy").exit_code == 2  # not NAME=VALUE: a usage error
    wrong = run("eval", "ls", "--suite", "model:acme/support-bot")
    assert wrong.stderr.startswith("error: invalid_reference: ")
    assert run("eval", "show", "nope").stderr == "error: evaluation_not_found: no evaluation 'nope'\n"
