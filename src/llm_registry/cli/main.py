"""The ``llm-registry`` application: global options, the command modules, error mapping.

Errors the registry raises on purpose (``RegistryError``) are mapped here, once: stderr gets
``error: <code>: <message>`` (or ``{"error": {...}}`` with ``--json``) and the exit code is 1
(3 for ``approval_required``: a policy holds the change until it is approved).
Anything else is a bug and keeps its traceback. Usage errors are click's (exit code 2).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from llm_registry.cli.commands import Conversion, LazyGroup, indexed_entries, lazy_group
from llm_registry.cli.output import location_secrets, report_error
from llm_registry.cli.session import CliState, JsonOption
from llm_registry.errors import ApprovalRequiredError, RegistryError
from llm_registry.settings import DECLARED

# Each module adds its commands with ``register(app)``; one line here adds a command group (and
# ``scripts/cli-index`` adds its commands to the index, cli/index.py). A module is imported only
# when one of its commands runs or shows its help (cli/commands.py).
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
    "llm_registry.cli.blobs",
    "llm_registry.cli.trust",
    "llm_registry.cli.governance",
    "llm_registry.cli.evaluations",
    "llm_registry.cli.serve",
)

EXIT_ERROR = 1
# A change a policy holds for an approval: not done yet, not refused either.
EXIT_PENDING = 3
# Where a location or token given through the environment comes from (both may hold secrets).
URL_VARIABLE = DECLARED["url"].env
TOKEN_VARIABLE = DECLARED["token"].env


class RegistryErrorGroup(LazyGroup):
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
            raise typer.Exit(EXIT_PENDING if isinstance(error, ApprovalRequiredError) else EXIT_ERROR) from None


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

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


def build_app() -> typer.Typer:
    """The CLI application with every command module registered."""
    application = typer.Typer(
        name="llm-registry",
        no_args_is_help=True,
        add_completion=True,
        # A bug's traceback must not print local variables: they can hold credentials.
        pretty_exceptions_show_locals=False,
        # Help text shows references such as kind:ns/name[@selector] literally.
        rich_markup_mode=None,
    )
    from llm_registry.cli.index import ENTRIES

    root = lazy_group(RegistryErrorGroup, indexed_entries(COMMAND_MODULES, ENTRIES), Conversion.of(application))
    application.callback(cls=root)(_root)
    return application


def main() -> None:
    """The ``llm-registry`` console script: the application is built here, when it runs, not
    when this module is imported."""
    build_app()(prog_name="llm-registry")
