"""Parsing of repeated ``key=value`` options; malformed ones are usage errors (exit 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import typer


def split_pair(text: str, option: str) -> tuple[str, str]:
    """``"k=v"`` → ``("k", "v")``; raises typer.BadParameter without ``=`` or with an empty key."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise typer.BadParameter(f"expected KEY=VALUE, got {text!r}", param_hint=option)
    return key, value


def json_or_text(text: str) -> Any:
    """The value ``text`` denotes as JSON (``3``, ``true``, ``[1, 2]``), else the text itself."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def parse_variables(pairs: Sequence[str], vars_json: str | None) -> dict[str, Any]:
    """Render variables: ``--vars-json`` first, then each ``--var k=v`` over it."""
    variables: dict[str, Any] = {}
    if vars_json is not None:
        try:
            loaded = orjson.loads(vars_json)
        except orjson.JSONDecodeError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--vars-json") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter("expected a JSON object", param_hint="--vars-json")
        variables.update(loaded)
    for pair in pairs:
        key, value = split_pair(pair, "--var")
        variables[key] = json_or_text(value)
    return variables


def parse_annotations(annotate: Sequence[str], unannotate: Sequence[str]) -> dict[str, str | None]:
    """Annotation changes: ``k=v`` sets, a bare key in ``unannotate`` removes (value None)."""
    changes: dict[str, str | None] = {}
    for pair in annotate:
        key, value = split_pair(pair, "--annotate")
        changes[key] = value
    for key in unannotate:
        if key in changes:
            raise typer.BadParameter(f"{key!r} is both set and removed", param_hint="--unannotate")
        changes[key] = None
    return changes
