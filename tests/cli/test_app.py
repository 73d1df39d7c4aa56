"""The application: version, where the registry is, the command modules, --json everywhere."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from llm_registry.cli import main as cli_main
from llm_registry.cli.commands import load_command_module
from llm_registry.errors import ConflictError
from tests.cli.conftest import ACTOR, MODEL, Run, is_group, long_options, walk_commands, write_yaml


def test_version(invoke: Run) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"llm-registry {cli_main.package_version()}\n"
    assert cli_main.package_version() != "unknown"


def test_default_location_is_dot_llm_registry(invoke: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("register", "-", "--json", input=write_yaml(MODEL))
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".llm-registry" / "registry.db").is_file()
    assert orjson.loads(result.stdout)["created_by"] == ACTOR


def test_location_from_environment_and_option(invoke: Run, tmp_path: Path) -> None:
    from_env = tmp_path / "from-env"
    from_option = tmp_path / "from-option"
    registered = invoke("register", "-", input=write_yaml(MODEL), env={"LLM_REGISTRY_URL": str(from_env)})
    assert registered.exit_code == 0
    assert (from_env / "registry.db").is_file()
    # --registry wins over the environment.
    empty = invoke("--registry", str(from_option), "--json", "assets", env={"LLM_REGISTRY_URL": str(from_env)})
    assert orjson.loads(empty.stdout)["items"] == []
    sqlite_url = invoke("--registry", f"sqlite:///{from_env / 'registry.db'}", "--json", "assets")
    assert [a["name"] for a in orjson.loads(sqlite_url.stdout)["items"]] == ["acme/llama-ft"]


def test_actor_defaults_to_the_os_user(invoke: Run, tmp_path: Path) -> None:
    result = invoke("--registry", str(tmp_path), "--json", "register", "-", input=write_yaml(MODEL),
                    env={"LLM_REGISTRY_ACTOR": None})
    assert orjson.loads(result.stdout)["created_by"] not in ("", ACTOR)


# Verbs without a --json of their own (the global --json still switches their errors to JSON):
# serve prints no result; logout should get one (reported to the owner of cli/access.py).
WITHOUT_JSON = {"serve", "logout"}


def test_every_verb_accepts_json() -> None:
    verbs = [(path, command) for path, command in walk_commands() if not is_group(command)]
    assert len(verbs) >= 19
    for path, command in verbs:
        if path in WITHOUT_JSON:
            continue
        assert "--json" in long_options(command), f"{path} does not accept --json"


def test_the_commands_of_section_3_3() -> None:
    paths = {path for path, _ in walk_commands()}
    assert {
        "register", "get", "versions", "assets", "resolve", "alias", "alias set", "alias rm", "alias ls",
        "deprecate", "yank", "restore", "delete", "label", "history", "render", "events", "db", "db upgrade",
        "db current",
    } <= paths


def _app_with(monkeypatch: pytest.MonkeyPatch, name: str, register: Callable[[typer.Typer], None]) -> typer.Typer:
    """The CLI with one more command module, added the way ``serve`` was: one entry in COMMAND_MODULES."""
    module = types.ModuleType(name)
    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, name))
    return cli_main.build_app()


def test_a_command_module_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def register(app: typer.Typer) -> None:
        @app.command("hello")
        def hello() -> None:
            typer.echo("hi")

    result = CliRunner().invoke(_app_with(monkeypatch, "llm_registry_test_hello", register), ["hello"])
    assert result.stdout == "hi\n"


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def register(app: typer.Typer) -> None:
        @app.command("boom")
        def boom() -> None:
            raise RuntimeError("a bug")

        @app.command("refuse")
        def refuse() -> None:
            raise ConflictError("refused on purpose", code="conflict", field="x")

    app = _app_with(monkeypatch, "llm_registry_test_boom", register)
    bug = CliRunner().invoke(app, ["boom"])
    assert isinstance(bug.exception, RuntimeError)
    assert "error: " not in bug.stderr
    refused = CliRunner().invoke(app, ["--json", "refuse"])
    assert refused.exit_code == 1
    assert orjson.loads(refused.stderr) == {
        "error": {"code": "conflict", "message": "refused on purpose", "field": "x"}}


def test_a_module_without_register_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("llm_registry_test_empty")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    with pytest.raises(TypeError, match="has no register"):
        load_command_module(module.__name__)


def test_importing_the_cli_builds_nothing() -> None:
    """The application is built when ``main()`` runs: importing ``cli.main`` loads no command module."""
    probe = "import sys, llm_registry.cli.main as m; print(sorted(set(m.COMMAND_MODULES) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_an_empty_registry_location_is_an_error(invoke: Run) -> None:
    result = invoke("--registry", "", "assets")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_parameter: the registry location is empty")
