"""``users …`` and ``grants …`` on a database location and on a server, with the same answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llm_registry.cli.main import build_app as build_cli
from tests.access.rest import PASSWORD, build_app, serving

app = build_cli()

Run = Callable[..., Result]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.delenv("LLM_REGISTRY_TOKEN", raising=False)
    monkeypatch.setenv("LLM_REGISTRY_ACTOR", "owner")
    return folder


def _runner(registry: str) -> Run:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, code: int = 0) -> Result:
        result = runner.invoke(app, ["--registry", registry, *args], input=input)
        assert result.exit_code == code, result.output
        return result

    return run


@contextmanager
def _location(kind: str, location: str, config: Path) -> Iterator[Run]:
    """A runner of CLI commands against ``location`` itself, or against a server on it where an
    admin (root) is logged in."""
    if kind == "database":
        yield _runner(location)
        return
    with serving(build_app(location, bootstrap_admin=f"root:{PASSWORD}")) as url:
        _log_in(url, "root")
        yield _runner(url)


def _log_in(url: str, username: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, ["login", url, "-u", username, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == code, result.output
    return result


@pytest.mark.parametrize(("kind", "backend"), [("database", "sqlite"), ("database", "postgresql"),
                                               ("server", "sqlite")], indirect=["backend"])
def test_users_and_grants_work_alike_on_a_database_and_a_server(kind: str, location: str, config: Path) -> None:
    with _location(kind, location, config) as run:
        created = json.loads(run("users", "create", "bob", "--role", "developer", "--password-stdin", "--json",
                                 input=PASSWORD + "\n").stdout)
        assert (created["username"], created["role"], created["disabled"]) == ("bob", "developer", False)
        assert PASSWORD not in json.dumps(created)
        run("users", "create", "carol", "--password-stdin", input=PASSWORD + "\n")
        again = run("users", "create", "bob", "--password-stdin", input=PASSWORD + "\n", code=1)
        assert "error: conflict:" in again.stderr
        listed = json.loads(run("users", "ls", "--json").stdout)
        names = [u["username"] for u in listed["items"]]
        assert {"bob", "carol"} <= set(names)
        assert listed["next_cursor"] is None
        assert "carol" in run("users", "ls").stdout
        assert json.loads(run("users", "set-role", "carol", "viewer", "--json").stdout)["role"] == "viewer"
        assert "carol is now user" in run("users", "set-role", "carol", "user").stdout
        bad_role = run("users", "set-role", "carol", "emperor", code=1)
        assert "invalid_parameter" in bad_role.stderr

        granted = json.loads(run("grants", "add", "acme", "bob", "--json").stdout)
        assert (granted["namespace"], granted["username"]) == ("acme", "bob")
        run("grants", "add", "acme", "carol")
        run("grants", "add", "other", "carol")
        by_namespace = json.loads(run("grants", "ls", "--namespace", "acme", "--json").stdout)["items"]
        assert [g["username"] for g in by_namespace] == ["bob", "carol"]
        by_user = json.loads(run("grants", "ls", "--user", "carol", "--json").stdout)["items"]
        assert [g["namespace"] for g in by_user] == ["acme", "other"]
        assert "acme" in run("grants", "ls").stdout
        run("grants", "rm", "acme", "carol")
        assert run("grants", "rm", "acme", "carol", code=1).stderr.startswith("error: not_found:")
        assert [g["username"] for g in json.loads(run("grants", "ls", "--json").stdout)["items"]] == ["bob", "carol"]

        disabled = json.loads(run("users", "disable", "bob", "--json").stdout)
        assert disabled["disabled"] is True
        audit = json.loads(run("audit", "--type", "user.disabled", "--json").stdout)["items"]
        assert [e["subject"] for e in audit] == ["user:bob"]
        # On a database the process owner acts (LLM_REGISTRY_ACTOR); on a server, the logged-in admin.
        assert audit[0]["actor"] == ("owner" if kind == "database" else "root")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_a_server_only_admins_manage_users(location: str, config: Path) -> None:
    with serving(build_app(location, bootstrap_admin=f"root:{PASSWORD}")) as url:
        run = _runner(url)
        anonymous = run("users", "ls", code=1)
        assert anonymous.stderr.startswith("error: unauthenticated: not logged in to")
        _log_in(url, "root")
        run("users", "create", "dev", "--role", "developer", "--password-stdin", input=PASSWORD + "\n")
        _log_in(url, "dev")  # one saved login per server: dev's now
        for verb in (["users", "ls"], ["users", "disable", "root"], ["grants", "add", "acme", "dev"], ["grants", "ls"]):
            refused = run(*verb, code=1)
            assert refused.stderr.startswith("error: forbidden:"), (verb, refused.stderr)
        # admin create-user stays a database command: on a server it points at `users create`.
        refused = run("admin", "create-user", "x", "--password-stdin", input=PASSWORD + "\n", code=1)
        assert "users create" in refused.stderr
        _log_in(url, "root")
        run("users", "disable", "dev")
        assert "invalid username or password" in _log_in(url, "dev", code=1).stderr
