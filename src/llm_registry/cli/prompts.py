"""Prompts: ``render``."""

from __future__ import annotations

from typing import Annotated

import typer

from llm_registry.cli import views
from llm_registry.cli.output import emit_json
from llm_registry.cli.params import parse_variables
from llm_registry.cli.session import JsonOption, current_state, open_registry


def render(
    ctx: typer.Context,
    prompt_ref: Annotated[str, typer.Argument(metavar="PROMPT_REF", help="prompt:namespace/name[@selector]")],
    var: Annotated[
        list[str] | None,
        typer.Option("--var", metavar="KEY=VALUE",
                     help="A variable (repeatable); VALUE is read as JSON when it parses, else as text."),
    ] = None,
    vars_json: Annotated[
        str | None, typer.Option("--vars-json", metavar="JSON", help="Variables as one JSON object (--var wins).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Render a prompt version with variables: its text, or its messages."""
    state = current_state(ctx, json_output)
    variables = parse_variables(var or [], vars_json)
    with open_registry(state) as registry:
        rendered = registry.render(prompt_ref, variables)
    if state.json:
        emit_json(rendered)
    else:
        # Plain echo: the rendered text is the user's, printed byte for byte.
        typer.echo(views.rendered_text(rendered))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("render")(render)
