"""Printing: JSON for machines, rich tables for people, errors on stderr.

JSON goes to stdout exactly as the models dump it (lists as ``{"items", "next_cursor"}``,
§3.4). Human output never interprets markup in user data: consoles are built with
``markup=False`` and styles are given explicitly. rich is imported when a table is printed:
every command loads this module at start-up.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import orjson
import typer

from llm_registry.errors import ApprovalRequiredError, RegistryError, UnauthenticatedError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console, RenderableType
    from rich.table import Table

# Query parameters of a location URL that may carry a secret.
_SECRET_PARAMETERS = {"password", "passwd", "token", "secret", "api_key", "apikey", "key", "sslpassword"}
# Width used when stdout is not a terminal, so piped tables are not cut at 80 columns.
_PIPE_WIDTH = 200


def make_console(*, stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr) that prints user data literally."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    console = Console(file=stream, markup=False, highlight=False, emoji=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = _PIPE_WIDTH
    return console


def emit_json(data: Any, *, compact: bool = False) -> None:
    """Print ``data`` as JSON on stdout (indented, or one line when ``compact``)."""
    option = 0 if compact else orjson.OPT_INDENT_2
    typer.echo(orjson.dumps(data, option=option).decode())


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def emit_model(model: BaseModel) -> None:
    """Print one model as its JSON document."""
    emit_json(dump(model))


def emit_items(items: Sequence[BaseModel], next_cursor: str | None = None) -> None:
    """Print a list in the REST list shape ``{"items": [...], "next_cursor": ...}``."""
    emit_json({"items": [dump(item) for item in items], "next_cursor": next_cursor})


def report_error(
    error: RegistryError, *, as_json: bool, secrets: Iterable[str] = (), location: str | None = None
) -> None:
    """Write an error to stderr: ``error: <code>: <message>`` (and ``hint: …`` when the CLI knows
    what to do next) or ``{"error": {...}}`` (with ``hint``). ``location`` is the registry the
    command talked to.

    Any of ``secrets`` found in the error is replaced by ``***`` (messages may quote a location).
    """
    data = error.to_dict()
    hint = error_hint(error, location)
    if hint is not None:
        # The server's advice is for HTTP clients; the CLI's replaces it.
        data["message"] = _BEARER_ADVICE.sub("", data["message"])
        data["hint"] = hint
    masked = _mask(data, sorted({s for s in secrets if s}, key=len, reverse=True))
    if as_json:
        typer.echo(orjson.dumps({"error": masked}).decode(), err=True)
        return
    typer.echo(f"error: {masked['code']}: {masked['message']}", err=True)
    if hint is not None:
        typer.echo(f"hint: {masked['hint']}", err=True)


# How a server's 401 tells an HTTP client what to send.
_BEARER_ADVICE = re.compile(r":? send `Authorization: Bearer [^`]*`")


def error_hint(error: RegistryError, location: str | None) -> str | None:
    """What a CLI user does next about ``error``, when the message cannot say it: a server that
    wants credentials wants ``llm-registry login URL`` (or a token in the environment)."""
    if isinstance(error, ApprovalRequiredError) and error.details.get("approval_id"):
        approval = error.details["approval_id"]
        return (f"`llm-registry approvals show {approval}` follows the request; someone with policies:manage "
                f"carries the change out with `llm-registry approve {approval}`")
    if not isinstance(error, UnauthenticatedError) or not location:
        return None
    if not location.startswith(("http://", "https://")) or "llm-registry login" in error.message:
        return None
    url = location.rstrip("/")
    return f"log in with `llm-registry login {url}`, or set LLM_REGISTRY_TOKEN to an access token or API key"


def _mask(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {key: _mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    return value


def location_secrets(location: str | None) -> list[str]:
    """The secret parts of a location URL: its password and secret-looking query values."""
    if not location or "://" not in location:
        return []
    try:
        parts = urlsplit(location)
        found = [parts.password] if parts.password else []
        found.extend(v for k, v in parse_qsl(parts.query) if k.lower() in _SECRET_PARAMETERS and v)
    except ValueError:
        return []
    # The percent-decoded forms above, and the text as written in the URL.
    return found + [quote(secret, safe="") for secret in found]


def notice(text: str) -> None:
    """A human remark (a next-page hint, a summary line) on stdout, outside JSON mode."""
    typer.echo(text)


def redact_location(location: str) -> str:
    """A location fit to print: the password and secret query parameters replaced by ``***``."""
    if "://" not in location:
        return location
    try:
        parts = urlsplit(location)
        netloc = parts.netloc
        if parts.password is not None:
            user_info, _, host = netloc.rpartition("@")
            user = user_info.partition(":")[0]
            netloc = f"{user}:***@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMETERS else v) for k, v in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        # Unparseable: show only the scheme rather than risk a secret.
        return location.split("://", 1)[0] + "://***"


def short_time(value: str | None) -> str:
    """``2026-01-02T03:04:05.000006Z`` → ``2026-01-02 03:04:05Z``."""
    if not value:
        return ""
    return value[:19].replace("T", " ") + "Z"


def short_digest(digest: str | None) -> str:
    """``sha256:`` and the first 12 hex digits."""
    if not digest:
        return ""
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else digest


def table(*columns: str) -> Table:
    """A plain table with the given column headers."""
    from rich.table import Table

    grid = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    return grid


def print_renderable(renderable: RenderableType) -> None:
    """Print a rich renderable on stdout without the padding rich leaves at the end of lines."""
    console = make_console()
    with console.capture() as captured:
        console.print(renderable)
    typer.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def print_table(grid: Table, rows: Iterable[Sequence[str]]) -> None:
    for row in rows:
        grid.add_row(*row)
    print_renderable(grid)


def print_warnings(warnings: Iterable[str]) -> None:
    """What a policy (or the trust policy) warned of a change, on stderr: ``warning: …``."""
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def next_page_hint(next_cursor: str | None, option: str = "--cursor") -> None:
    if next_cursor:
        notice(f"more: {option} {next_cursor}")
