"""The access commands: first admin on a database location, audit, and the 0600 token file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llm_registry.accounts import credentials
from llm_registry.cli.main import build_app as build_cli
from tests.access.rest import PASSWORD, build_app, serving

app = build_cli()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_admin_create_user_then_audit(location: str) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["--registry", location, "admin", "create-user", "root", "--role", "admin",
                                  "--password-stdin", "--json"], input="correct horse battery\n")
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["role"] == "admin"
    assert "correct horse" not in created.output
    again = runner.invoke(app, ["--registry", location, "admin", "create-user", "root", "--password-stdin"],
                          input="correct horse battery\n")
    assert again.exit_code == 1
    assert "conflict" in again.output
    audit = runner.invoke(app, ["--registry", location, "audit", "--type", "user.created", "--json"])
    assert audit.exit_code == 0, audit.output
    assert [e["subject"] for e in json.loads(audit.stdout)["items"]] == ["user:root"]


def test_tokens_are_stored_0600_and_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    credentials.store_tokens("http://r.test/", {"access_token": "a", "refresh_token": "r", "expires_in": 900}, "al")
    path = credentials.credentials_path()
    assert path == tmp_path / "llm-registry" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.token_for("http://r.test") == "a"
    assert credentials.forget("http://r.test") is not None
    assert credentials.token_for("http://r.test") is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_server_refusing_the_cli_says_how_to_log_in(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 401's advice is for HTTP clients (send a header); the CLI says `llm-registry login URL`."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LLM_REGISTRY_TOKEN", raising=False)
    runner = CliRunner()
    with serving(build_app(location, bootstrap_admin=f"root:{PASSWORD}")) as url:
        refused = runner.invoke(app, ["--registry", url, "versions", "model:acme/base"])
        assert refused.exit_code == 1
        assert refused.stderr.splitlines() == [
            "error: unauthenticated: authentication required",
            f"hint: log in with `llm-registry login {url}`, or set LLM_REGISTRY_TOKEN to an access token or API key",
        ]
        as_json = runner.invoke(app, ["--registry", url, "--json", "versions", "model:acme/base"])
        error = json.loads(as_json.stderr)["error"]
        assert (error["code"], error["message"]) == ("unauthenticated", "authentication required")
        assert error["hint"].startswith(f"log in with `llm-registry login {url}`")
        bad_token = runner.invoke(app, ["--registry", url, "versions", "model:acme/base"],
                                  env={"LLM_REGISTRY_TOKEN": "not-a-token"})
        assert bad_token.stderr.splitlines()[1].startswith("hint: log in with `llm-registry login")
    # A database location has no login to suggest.
    missing = runner.invoke(app, ["--registry", location, "versions", "model:acme/base"])
    assert missing.exit_code == 1
    assert "hint:" not in missing.stderr
