"""A version's lifecycle: ``deprecate``, ``yank``, ``restore`` and ``delete``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from llm_registry.cli.output import emit_model, notice, print_warnings
from llm_registry.cli.session import CliState, JsonOption, current_state, open_registry

if TYPE_CHECKING:
    from llm_registry.assets.models import VersionDocument

RefArgument = Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name@version")]


def _report(state: CliState, document: VersionDocument, verb: str) -> None:
    print_warnings(document.warnings)
    if state.json:
        emit_model(document)
        return
    line = f"{verb} {document.ref}"
    if document.status_message:
        line += f": {document.status_message}"
    if document.replacement:
        line += f" (use {document.replacement})"
    notice(line)


def deprecate(
    ctx: typer.Context,
    ref: RefArgument,
    message: Annotated[str | None, typer.Option("--message", metavar="TEXT", help="Why, for its users.")] = None,
    replacement: Annotated[
        str | None, typer.Option("--replacement", metavar="REF", help="What to use instead.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Mark a version deprecated (ranges may still choose it)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.deprecate(ref, message=message, replacement=replacement)
    _report(state, document, "deprecated")


def yank(
    ctx: typer.Context,
    ref: RefArgument,
    reason: Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why it was yanked.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Yank a version: kept and fetchable by exact version, never chosen by a range or latest."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.yank(ref, reason=reason)
    _report(state, document, "yanked")


def restore(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """Make a deprecated or yanked version active again."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.restore(ref)
    _report(state, document, "restored")


def delete(
    ctx: typer.Context,
    ref: RefArgument,
    force: Annotated[
        bool, typer.Option("--force", help="Delete even while other versions pin it (their pins dangle).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Delete a version (an admin act; refused while other versions depend on it)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.delete(ref, force=force)
    _report(state, document, "deleted")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("deprecate")(deprecate)
    app.command("yank")(yank)
    app.command("restore")(restore)
    app.command("delete")(delete)
