"""The change feed (§2.6): events after a cursor, filtered, optionally waiting for the next.

The one long-poll loop of the registry lives here; every reader (the Python API, the CLI's
``events --follow``, ``GET /v1/events?wait=``) goes through it. A commit of this process wakes
a waiting reader at once; commits of other processes (server workers, other instances) are
seen by reading again every ``poll_interval`` seconds.

Which events a reader sees depends on who reads: account events (users, sessions, API keys,
namespace grants) need ``audit:read``; the others need ``assets:read``, which the transport
has already checked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from llm_registry.domain import patterns
from llm_registry.domain.access import Actor, Authorizer
from llm_registry.domain.pages import Page
from llm_registry.domain.references import parse_reference
from llm_registry.domain.times import parse_time
from llm_registry.errors import ValidationError
from llm_registry.events.interfaces import EventStore
from llm_registry.events.models import ACCOUNT_AREAS, Event

MAX_PAGE = 1000
POLL_INTERVAL = 0.2
_EVENT_TYPE = re.compile(patterns.EVENT_TYPE)


class EventService:
    """Reads the outbox; raises ValidationError for a bad cursor, type, subject or time."""

    def __init__(
        self,
        store: EventStore,
        *,
        default_namespace: str,
        authorizer: Authorizer | None = None,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.store = store
        self.default_namespace = default_namespace
        self.authorizer = authorizer
        self.poll_interval = poll_interval

    def list_events(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
        wait: float = 0.0,
        reader: Actor | None = None,
    ) -> Page[Event]:
        """Events after the cursor ``after``, oldest first; ``next_cursor`` is where to read on
        (always set). With ``wait`` > 0 and nothing there yet, waits up to that many seconds for
        the first matching event. ``reader`` sees only the events it may read (None: all)."""
        start = _event_after(after)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", code="invalid_parameter", field="limit")
        if wait < 0:
            raise ValidationError("wait must not be negative", code="invalid_parameter", field="wait")
        for event_type in types:
            # Any name shaped like an event type (``area.action``): one not emitted yet matches none.
            if not _EVENT_TYPE.fullmatch(event_type):
                raise ValidationError(
                    f"invalid event type {event_type!r}: like asset.registered (see docs/concepts.md)",
                    code="invalid_parameter",
                    field="type",
                )
        since = parse_time(since, field="since") if since else None
        until = parse_time(until, field="until") if until else None
        if subject:
            # Written like any reference: `model:solo` is `model:default/solo`.
            subject = str(parse_reference(subject, field="subject", default_namespace=self.default_namespace))
        hidden = self.hidden_areas(reader)
        deadline = time.monotonic() + wait
        while True:
            seen = self.store.commit_count
            with self.store.read() as tx:
                items = tx.list_events(
                    after=start, types=list(types), subject=subject, actor=actor, since=since, until=until,
                    exclude_areas=hidden, limit=limit,
                )
            remaining = deadline - time.monotonic()
            if items or remaining <= 0 or self.store.closed:
                # The cursor always moves on (to the last event read) so a follower polls from there.
                next_cursor = items[-1].cursor if items else (after or "0")
                return Page[Event](items=items, next_cursor=next_cursor)
            self.store.wait_for_commit(seen, min(self.poll_interval, remaining))

    def hidden_areas(self, reader: Actor | None) -> tuple[str, ...]:
        """The event areas ``reader`` may not see."""
        if reader is None or self.authorizer is None or self.authorizer.allows(reader, "audit:read"):
            return ()
        return ACCOUNT_AREAS

    def last_cursor(self) -> str:
        """The cursor of the newest event ("0" when there is none): where a follower of new events starts."""
        return str(self.store.last_event_cursor())


def _event_after(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    # ASCII digits only: str.isdigit() also holds for "²", which int() refuses.
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) >= 2**63:
        raise ValidationError(f"invalid event cursor {cursor!r}", code="invalid_cursor", field="after")
    return int(cursor)
