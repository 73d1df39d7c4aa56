"""The governance verbs through the real CLI: a refusal naming rule and policy (exit 1), a held
change (exit 3, with the approval's id), ``approvals ls|show``, ``approve``/``reject``,
``policy ls`` and ``policy test``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from llm_registry.cli.main import EXIT_PENDING, build_app

app = build_app()
ENV: dict[str, str | None] = {"LLM_REGISTRY_URL": None, "LLM_REGISTRY_TOKEN": None, "LLM_REGISTRY_ACTOR": "tester",
                              "COLUMNS": "200"}
POLICY = """\
kind: policy
name: platform/prod-rules
version: 1.0.0
spec:
  rules:
    - name: license-required
      on: [register]
      when: '!has(asset.labels.license)'
      effect: deny
      message: every model in prod/ has a license
      scope: {kinds: [model], namespaces: [prod]}
    - name: production-approval
      on: [move_alias]
      when: 'target.alias == "production"'
      effect: require_approval
      message: production moves need an admin's approval
"""

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def run(location: str) -> Any:
    runner = CliRunner()

    def invoke(*args: str, actor: str = "tester") -> Result:
        return runner.invoke(app, ["--registry", location, *args], env={**ENV, "LLM_REGISTRY_ACTOR": actor},
                             catch_exceptions=False)

    return invoke


def _write(path: Path, document: dict[str, Any] | str) -> str:
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return str(path)


def test_refused_held_and_approved_through_the_cli(run: Any, tmp_path: Path) -> None:
    assert run("register", _write(tmp_path / "policy.yaml", POLICY)).exit_code == 0
    assert run("alias", "set", "policy:platform/prod-rules", "active", "1.0.0").exit_code == 0
    listed = run("policy", "ls")
    assert "license-required" in listed.stdout
    assert "require_approval" in listed.stdout

    bare = {"kind": "model", "name": "prod/chat", "version": "1.0.0", "spec": {"architecture": "llama"}}
    refused = run("register", _write(tmp_path / "bare.yaml", bare))
    assert refused.exit_code == 1
    assert ("error: policy_denied: model:prod/chat@1.0.0: every model in prod/ has a license (rule "
            "'license-required' of policy:platform/prod-rules@1.0.0)") in refused.stderr
    tried = run("policy", "test", "policy:platform/prod-rules@1.0.0", str(tmp_path / "bare.yaml"))
    assert tried.exit_code == 0
    assert "denied" in tried.stdout.splitlines()[-1]

    licensed = {**bare, "labels": {"license": "mit"}}
    assert run("register", _write(tmp_path / "licensed.yaml", licensed)).exit_code == 0
    held = run("--json", "alias", "set", "model:prod/chat", "production", "1.0.0")
    assert held.exit_code == EXIT_PENDING == 3
    error = json.loads(held.stderr)["error"]
    assert error["code"] == "approval_required"
    approval_id = error["details"]["approval_id"]
    assert f"llm-registry approve {approval_id}" in error["hint"]

    pending = json.loads(run("--json", "approvals", "ls", "--state", "pending").stdout)["items"]
    assert [a["id"] for a in pending] == [approval_id]
    shown = run("approvals", "show", approval_id)
    assert "state:        pending" in shown.stdout
    assert "rule:         production-approval of policy:platform/prod-rules@1.0.0" in shown.stdout
    own = run("approve", approval_id)
    assert own.exit_code == 1
    assert "self_approval" in own.stderr
    approved = run("approve", approval_id, "--comment", "ship it", actor="approver")
    assert approved.exit_code == 0, approved.stderr
    assert approved.stdout.startswith(f"approved {approval_id}")
    aliases = json.loads(run("--json", "alias", "ls", "model:prod/chat").stdout)["items"]
    assert {a["name"]: a["version"] for a in aliases}["production"] == "1.0.0"

    assert run("register", _write(tmp_path / "v2.yaml", {**licensed, "version": "1.1.0"})).exit_code == 0
    second = json.loads(run("--json", "alias", "set", "model:prod/chat", "production", "1.1.0").stderr)
    second_id = second["error"]["details"]["approval_id"]
    assert run("reject", second_id, actor="approver").exit_code == 2  # --comment is required
    rejected = run("reject", second_id, "-m", "not yet", actor="approver")
    assert rejected.exit_code == 0
    assert "approved" in run("approvals", "ls").stdout
    assert "rejected" in run("approvals", "ls", "--state", "rejected").stdout
