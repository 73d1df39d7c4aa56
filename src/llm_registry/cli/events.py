"""The change feed: ``events``, one page or ``--follow``."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from llm_registry.cli import views
from llm_registry.cli.output import dump, emit_items, emit_json, next_page_hint, notice
from llm_registry.cli.session import CliState, JsonOption, current_state, open_registry

if TYPE_CHECKING:
    from llm_registry.registry import Registry

# How long one wait for new events lasts (a long-poll on a server); Ctrl-C ends a follow
# between two waits, so keep it short enough to answer promptly.
FOLLOW_WAIT = 1.0


def events(
    ctx: typer.Context,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="CURSOR", help="Start after this event cursor (default: the start)."),
    ] = None,
    type: Annotated[
        list[str] | None, typer.Option("--type", metavar="TYPE", help="Only this event type (repeatable).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", metavar="REF", help="Only events about this subject.")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", metavar="NAME", help="Only events by this actor.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Events per page (1-1000).")] = 100,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep waiting for new events and print them as they come, until Ctrl-C.")
    ] = False,
    max_wait: Annotated[
        float | None,
        typer.Option("--max-wait", metavar="SECONDS", help="With --follow, stop after this many seconds."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Read the change feed, oldest first."""
    state = current_state(ctx, json_output)
    types = type or []
    with open_registry(state) as registry:
        if follow:
            _follow(registry, state, after=after, types=types, subject=subject, actor=actor, limit=limit,
                    max_wait=max_wait)
            return
        page = registry.events(after=after, type=types, subject=subject, actor=actor, limit=limit)
    if state.json:
        emit_items(page.items, page.next_cursor)
    else:
        views.show_events(page.items)
        if len(page.items) == limit:
            next_page_hint(page.next_cursor, "--after")


def _follow(
    registry: Registry, state: CliState, *, after: str | None, types: list[str], subject: str | None,
    actor: str | None, limit: int, max_wait: float | None,
) -> None:
    """Print events as they come: JSON Lines with ``--json``, aligned lines otherwise."""
    deadline = None if max_wait is None else time.monotonic() + max_wait
    cursor = after
    wait = 0.0  # the backlog first, without waiting
    if not state.json:
        notice(views.EVENT_HEADER)
    with _stop_on_interrupt() as stop:
        while not stop.is_set():
            page = registry.events(after=cursor, type=types, subject=subject, actor=actor, limit=limit, wait=wait)
            for event in page.items:
                if state.json:
                    emit_json(dump(event), compact=True)
                else:
                    notice(views.event_line(event))
            cursor = page.next_cursor
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            # A full page means a backlog: read on at once; else wait for the next event.
            if len(page.items) == limit:
                wait = 0.0
            else:
                wait = FOLLOW_WAIT if remaining is None else min(FOLLOW_WAIT, remaining)


@contextmanager
def _stop_on_interrupt() -> Iterator[threading.Event]:
    """Ctrl-C (SIGINT) or SIGTERM ends a follow normally: the signal sets an event that the loop
    checks between waits, instead of raising in the middle of a read."""
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():  # only there can handlers be set
        previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("events")(events)
