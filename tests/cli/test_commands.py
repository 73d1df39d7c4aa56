"""The command index: ``--help`` and every verb exactly as typer builds them with every command
registered up front, while a run converts only the command it names."""

from __future__ import annotations

from typing import Any

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from llm_registry.cli import main as cli_main
from llm_registry.cli.commands import LazyCommands, index_modules, load_command_module
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
