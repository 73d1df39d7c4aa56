"""The ``llm-registry`` application: global options, the command modules, error mapping.

Errors the registry raises on purpose (``RegistryError``) are mapped here, once: stderr gets
``error: <code>: <message>`` (or ``{"error": {...}}`` with ``--json``) and the exit code is 1.
Anything else is a bug and keeps its traceback. Usage errors are click's (exit code 2).
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Protocol, cast

import typer
from typer.core import TyperGroup

from llm_registry.cli.output import location_secrets, report_error
from llm_registry.cli.session import CliState, JsonOption
from llm_registry.errors import RegistryError
from llm_registry.settings import DECLARED

# Each module adds its commands with ``register(app)``; one line here adds a command group.
COMMAND_MODULES: tuple[str, ...] = (
    "llm_registry.cli.versions",
    "llm_registry.cli.imports",
    "llm_registry.cli.labels",
    "llm_registry.cli.status",
    "llm_registry.cli.aliases",
    "llm_registry.cli.prompts",
    "llm_registry.cli.events",
    "llm_registry.cli.db",
    "llm_registry.cli.access",
    "llm_registry.cli.discovery",
    "llm_registry.cli.trust",
    "llm_registry.cli.serve",
)

EXIT_ERROR = 1
# Where a location or token given through the environment comes from (both may hold secrets).
URL_VARIABLE = DECLARED["url"].env
TOKEN_VARIABLE = DECLARED["token"].env


class CommandModule(Protocol):
    def register(self, app: typer.Typer) -> None: ...


class RegistryErrorGroup(TyperGroup):
    """The root group: turns a RegistryError from any command into the CLI's error output."""

    # ``ctx`` is typer's (vendored) click Context; typer does not export that type by name.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RegistryError as error:
            state = ctx.find_object(CliState)
            location = state.registry if state is not None and state.registry else os.environ.get(URL_VARIABLE)
            secrets = [*location_secrets(location), os.environ.get(TOKEN_VARIABLE, "")]
            report_error(error, as_json=state is not None and state.json, secrets=secrets, location=location)
            raise typer.Exit(EXIT_ERROR) from None


def package_version() -> str:
    try:
        return version("llm-registry")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"llm-registry {package_version()}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    registry: Annotated[
        str | None,
        typer.Option("--registry", metavar="LOCATION", help=DECLARED["url"].option_help()),
    ] = None,
    json_output: JsonOption = False,
    show_version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """A registry for the assets of LLM work: models, datasets, prompts, pipelines, policies, test suites."""
    ctx.obj = CliState(registry=registry, json=json_output)


def load_command_module(name: str) -> CommandModule:
    """Import a command module; raises TypeError when it has no ``register(app)``."""
    module = importlib.import_module(name)
    if not callable(getattr(module, "register", None)):
        raise TypeError(f"{name} has no register(app) function")
    return cast(CommandModule, module)


def build_app() -> typer.Typer:
    """The CLI application with every command module registered."""
    application = typer.Typer(
        name="llm-registry",
        cls=RegistryErrorGroup,
        no_args_is_help=True,
        add_completion=False,
        # A bug's traceback must not print local variables: they can hold credentials.
        pretty_exceptions_show_locals=False,
        # Help text shows references such as kind:ns/name[@selector] literally.
        rich_markup_mode=None,
    )
    application.callback()(_root)
    for name in COMMAND_MODULES:
        load_command_module(name).register(application)
    return application


def main() -> None:
    """The ``llm-registry`` console script: the application is built here, when it runs, not
    when this module is imported."""
    build_app()(prog_name="llm-registry")
