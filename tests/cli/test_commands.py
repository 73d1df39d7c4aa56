"""The command index: ``--help`` and every verb exactly as typer builds them with every command
registered up front, while a run converts only the command it names and imports only its module."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from llm_registry.cli import main as cli_main
from llm_registry.cli.commands import Entry, LazyCommands, index_modules, indexed_entries, load_command_module
from llm_registry.cli.index import ENTRIES
from tests.cli import command_index
from tests.cli.conftest import walk_commands


def eager_app() -> typer.Typer:
    """The CLI as typer builds it with every module registered on the application itself."""
    application = typer.Typer(name="llm-registry", cls=TyperGroup, no_args_is_help=True, add_completion=True,
                              pretty_exceptions_show_locals=False, rich_markup_mode=None)
    application.callback()(cli_main._root)
    for name in cli_main.COMMAND_MODULES:
        load_command_module(name).register(application)
    return application


def output(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    return result.exit_code, result.output


def test_help_lists_what_the_eager_application_lists() -> None:
    assert output(cli_main.build_app(), "--help") == output(eager_app(), "--help")
    assert output(cli_main.build_app()) == output(eager_app())


@pytest.mark.parametrize("path", [path for path, _ in walk_commands()])
def test_every_command_helps_as_the_eager_application_does(path: str) -> None:
    assert output(cli_main.build_app(), *path.split(), "--help") == output(eager_app(), *path.split(), "--help")


@pytest.mark.parametrize("args", [["versoins"], ["alias", "sett"], ["get"], ["nope", "--help"]])
def test_usage_errors_are_the_eager_application_s(args: list[str]) -> None:
    assert output(cli_main.build_app(), *args) == output(eager_app(), *args)


def lazy_commands(app: typer.Typer) -> tuple[Any, LazyCommands]:
    group = typer.main.get_command(app)
    assert isinstance(group.commands, LazyCommands)  # type: ignore[attr-defined]
    return group, group.commands  # type: ignore[attr-defined]


def test_help_converts_no_command_and_a_run_converts_the_one_it_names() -> None:
    group, commands = lazy_commands(cli_main.build_app())
    with group.make_context("llm-registry", ["--help"], resilient_parsing=True) as ctx:
        group.get_help(ctx)
    assert commands.converted == []
    with group.make_context("llm-registry", ["get", "--help"], resilient_parsing=True) as ctx:
        group.resolve_command(ctx, ["get"])
    assert commands.converted == ["get"]


def test_the_index_lists_commands_then_groups_in_module_order() -> None:
    names = [entry.name for entry in index_modules(cli_main.COMMAND_MODULES)]
    eager = list(typer.main.get_command(eager_app()).commands)  # type: ignore[attr-defined]
    assert names == eager


def test_a_name_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'register' is registered twice"):
        index_modules(["llm_registry.cli.versions", "llm_registry.cli.versions"])


def test_the_written_index_is_what_the_modules_register() -> None:
    assert command_index.current() == command_index.INDEX.read_text(encoding="utf-8"), "run scripts/cli-index"
    assert list(ENTRIES) == index_modules(cli_main.COMMAND_MODULES)
    assert command_index.main(["--check"]) == 0


def test_a_module_the_index_does_not_cover_is_indexed_at_start_up() -> None:
    without_events = [entry for entry in ENTRIES if entry.module != "llm_registry.cli.events"]
    assert indexed_entries(cli_main.COMMAND_MODULES, without_events) == list(ENTRIES)


def test_an_index_entry_its_module_no_longer_registers_says_what_to_run() -> None:
    stale = Entry("vanished", "llm_registry.cli.versions", False, "Gone.", None, False, False)
    _, commands = lazy_commands(cli_main.build_app())
    lazy = LazyCommands([stale], commands._how)
    with pytest.raises(LookupError, match="registers no command 'vanished': run scripts/cli-index"):
        lazy["vanished"]


def imported_command_modules(*args: str) -> list[str]:
    """The command modules a run of the CLI with ``args`` imports, in a new process."""
    probe = (
        "import json, sys\n"
        "from llm_registry.cli import main as m\n"
        f"sys.argv = ['llm-registry', *{list(args)!r}]\n"
        "try:\n"
        "    m.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(set(m.COMMAND_MODULES) & set(sys.modules))), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    modules: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return modules


def test_help_imports_no_command_module_and_a_run_only_its_own() -> None:
    assert imported_command_modules("--help") == []
    assert imported_command_modules("get", "--help") == ["llm_registry.cli.versions"]
    assert imported_command_modules("alias", "ls", "--help") == ["llm_registry.cli.aliases"]
