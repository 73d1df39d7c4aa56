"""Labels, the mutable part of a version: ``label`` and ``history``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llm_registry.cli import views
from llm_registry.cli.output import emit_items, emit_model, print_warnings
from llm_registry.cli.params import parse_annotations
from llm_registry.cli.session import JsonOption, current_state, open_registry
from llm_registry.errors import ValidationError

RefArgument = Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")]


def label(
    ctx: typer.Context,
    ref: RefArgument,
    description: Annotated[
        str | None, typer.Option("--description", metavar="TEXT", help="New description ('' clears it).")
    ] = None,
    license: Annotated[
        str | None, typer.Option("--license", metavar="SPDX", help="New SPDX license ('' clears it).")
    ] = None,
    card: Annotated[
        Path | None,
        typer.Option("--card", metavar="FILE",
                     help="The card (Markdown) from FILE; - reads stdin; an empty file clears it."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", metavar="TAG", help="Add a tag (repeatable).")] = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", metavar="TAG", help="Remove a tag (repeatable).")
    ] = None,
    annotate: Annotated[
        list[str] | None, typer.Option("--annotate", metavar="KEY=VALUE", help="Set an annotation (repeatable).")
    ] = None,
    unannotate: Annotated[
        list[str] | None, typer.Option("--unannotate", metavar="KEY", help="Remove an annotation (repeatable).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Change a version's labels; every change is a new label revision."""
    state = current_state(ctx, json_output)
    annotations = parse_annotations(annotate or [], unannotate or [])
    card_text = read_card(card) if card is not None else None
    with open_registry(state) as registry:
        document = registry.label(ref, description=description, license=license, card=card_text, tags=tag or [],
                                  untags=untag or [], annotations=annotations)
    print_warnings(document.warnings)
    if state.json:
        emit_model(document)
    else:
        views.show_document(document, heading=f"labelled {document.ref} (revision {document.revision})")


def read_card(path: Path) -> str:
    """The card's text from a file, or stdin for ``-``; raises ValidationError."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", code="invalid_parameter", field="card") from None


def history(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """List a version's label revisions, oldest first."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        revisions = registry.label_history(ref)
    if state.json:
        emit_items(revisions)
    else:
        views.show_history(revisions)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("label")(label)
    app.command("history")(history)
