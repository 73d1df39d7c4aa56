"""Reading the outbox table (events are written by the asset store's compiled insert)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from llm_registry.events.models import Event
from llm_registry.storage.schema import events


def list_events(
    connection: sa.Connection,
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
    """Events with ``seq > after`` in order, filtered; at most ``limit``."""
    query = sa.select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    for area in exclude_areas:
        # Areas are [a-z_]: no LIKE wildcard to escape but "_", which matches itself too.
        query = query.where(events.c.type.not_like(area.replace("_", "\\_") + ".%", escape="\\"))
    if types:
        query = query.where(events.c.type.in_(list(types)))
    if subject:
        # An asset (kind:ns/name) follows all of its versions; a full ref one version.
        column = events.c.subject if "@" in subject else events.c.asset
        query = query.where(column == subject)
    if actor:
        query = query.where(events.c.actor == actor)
    if since:
        query = query.where(events.c.created_at >= since)
    if until:
        query = query.where(events.c.created_at < until)
    return [
        Event(
            id=row.id,
            cursor=str(row.seq),
            type=row.type,
            subject=row.subject,
            actor=row.actor,
            created_at=row.created_at,
            payload=row.payload,
        )
        for row in connection.execute(query)
    ]


def last_cursor(connection: sa.Connection) -> int:
    """The cursor of the newest event (0 when there is none)."""
    return int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))).scalar_one())
