"""db upgrade and db current through the CLI."""

from __future__ import annotations

import orjson

from llm_registry.storage.migrate import head_revision
from tests.cli.conftest import Run, RunJson


def test_db_upgrade_creates_then_keeps_the_schema(cli: Run, cli_json: RunJson, location: str) -> None:
    head = head_revision()
    fresh = cli_json("db", "current")
    assert fresh == {"location": location, "current": None, "head": head, "up_to_date": False}
    assert cli_json("db", "upgrade") == {"location": location, "from": None, "to": head}
    assert cli_json("db", "current")["up_to_date"] is True
    again = cli("db", "upgrade")
    assert again.exit_code == 0
    assert again.stdout == f"{location}: already at revision {head}\n"
    human = cli("db", "current").stdout.splitlines()
    assert human == [f"location: {location}", f"current:  {head}", f"head:     {head}", "up to date"]
    # The upgraded database is one the registry opens.
    assert cli_json("assets") == {"items": [], "next_cursor": None}


def test_db_upgrade_human_output(cli: Run) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert result.stdout.endswith(f": upgraded (empty) → {head_revision()}\n")


def test_db_refuses_a_server(invoke: Run) -> None:
    result = invoke("--registry", "https://admin:hunter2@registry.example.com", "db", "upgrade")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_parameter: https://admin:***@registry.example.com is a server")
    assert "hunter2" not in result.output
    as_json = invoke("--registry", "https://registry.example.com", "db", "current", "--json")
    assert orjson.loads(as_json.stderr)["error"]["field"] == "registry"


def test_db_never_prints_a_password(invoke: Run) -> None:
    # Nothing listens on port 1: the error quotes the location, without its secrets.
    location = "postgresql://admin:hunter2@127.0.0.1:1/registry?sslpassword=s3cret-value"
    for args in (("db", "current"), ("db", "upgrade", "--json"), ("assets",)):
        result = invoke("--registry", location, *args)
        assert result.exit_code == 1
        assert result.stderr.startswith(("error: storage_unavailable: ", '{"error":{"code":"storage_unavailable"'))
        assert "hunter2" not in result.output
        assert "s3cret-value" not in result.output
    from_env = invoke("assets", env={"LLM_REGISTRY_URL": location})
    assert from_env.exit_code == 1
    assert "hunter2" not in from_env.output
