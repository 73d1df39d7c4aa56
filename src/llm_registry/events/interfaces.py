"""The storage contract of the change feed: reading the outbox, and being woken by commits."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from llm_registry.events.models import Event


class EventReader(Protocol):
    def list_events(
        self,
        *,
        after: int,
        types: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_areas: Sequence[str] = (),
        limit: int = 100,
    ) -> list[Event]:
        """Events with a cursor above ``after``, oldest first, filtered; ``exclude_areas`` leaves
        out every type ``<area>.*`` of those areas."""
        ...


class EventStore(Protocol):
    def read(self) -> AbstractContextManager[EventReader]: ...

    def last_event_cursor(self) -> int:
        """The cursor of the newest event (0 when there is none)."""
        ...

    @property
    def commit_count(self) -> int:
        """How many write transactions of this process the store has committed."""
        ...

    def wait_for_commit(self, seen: int, timeout: float) -> bool:
        """Return at once when ``commit_count`` is no longer ``seen`` (or the store is closed),
        else block until it changes or ``timeout`` seconds pass; False on timeout. Writes of
        other processes do not wake it."""
        ...

    @property
    def closed(self) -> bool: ...
