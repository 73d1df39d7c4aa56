"""Aliases, named pointers to versions: ``alias set``, ``alias rm`` and ``alias ls``."""

from __future__ import annotations

from typing import Annotated

import typer

from llm_registry.cli import views
from llm_registry.cli.output import emit_items, emit_json, emit_model, notice, print_warnings
from llm_registry.cli.session import JsonOption, current_state, open_registry

AssetArgument = Annotated[str, typer.Argument(metavar="ASSET_REF", help="kind:namespace/name (no selector)")]
AliasArgument = Annotated[str, typer.Argument(metavar="ALIAS", help="The alias name, such as production.")]

alias_app = typer.Typer(name="alias", help="Set, remove and list an asset's aliases.", no_args_is_help=True)


@alias_app.command("set")
def set_alias(
    ctx: typer.Context,
    asset_ref: AssetArgument,
    alias: AliasArgument,
    version: Annotated[str, typer.Argument(metavar="VERSION", help="An exact version of the asset.")],
    force: Annotated[
        bool, typer.Option("--force", help="Activate a policy even though it would leave no admin able to change "
                           "policy.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Point an alias at a version (creating or moving it)."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        moved = registry.set_alias(asset_ref, alias, version, force=force)
    if state.json:
        emit_model(moved)
    else:
        notice(f"{asset_ref}@{moved.name} → {moved.version}")
    print_warnings(moved.warnings)  # what the policies (warn) and the trust policy say of the move


@alias_app.command("rm")
def remove_alias(
    ctx: typer.Context, asset_ref: AssetArgument, alias: AliasArgument, json_output: JsonOption = False
) -> None:
    """Remove an alias."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        registry.remove_alias(asset_ref, alias)
    if state.json:
        emit_json({"asset": asset_ref, "alias": alias, "removed": True})
    else:
        notice(f"removed {asset_ref}@{alias}")


@alias_app.command("ls")
def list_aliases(ctx: typer.Context, asset_ref: AssetArgument, json_output: JsonOption = False) -> None:
    """List an asset's aliases, the implicit latest first."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        aliases = registry.aliases(asset_ref)
    if state.json:
        emit_items(aliases)
    else:
        views.show_aliases(aliases)


def register(app: typer.Typer) -> None:
    """Add the ``alias`` group to ``app``."""
    app.add_typer(alias_app)
