"""``GET /v1/events``: the change feed from a cursor, with a bounded long-poll (``wait``)."""

from __future__ import annotations

import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_service, run_read
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import DEFAULT_LIMIT, LimitQuery
from llm_registry.assets.models import Page
from llm_registry.assets.services import AssetService
from llm_registry.events.models import Event
from llm_registry.settings import Settings

router = APIRouter(route_class=RegistryRoute, tags=["events"])
# How often a waiting request looks for new events. Polling the outbox (not an in-process
# signal) is what sees the writes of every worker and every server instance.
POLL_INTERVAL = 0.2
MAX_WAIT = 60.0


@router.get("/v1/events", response_model=Page[Event], responses=responses.READ, name="list_events")
async def list_events(
    request: Request,
    after: Annotated[str | None, Query(max_length=32, description="Events after this cursor (`next_cursor`)")] = None,
    types: Annotated[list[str], Query(alias="type", description="Only these event types")] = [],  # noqa: B006
    subject: Annotated[str | None, Query(max_length=1024, description="Only events about this subject")] = None,
    actor: Annotated[str | None, Query(max_length=256, description="Only events by this actor")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for an event when none is "
                                 "there yet (bounded by the server's events_max_wait)")] = 0,
    context: RequestContext = Depends(get_context),
    service: AssetService = Depends(get_service),
) -> Response:
    """Events after the cursor, oldest first; ``next_cursor`` is where to read on (always set)."""
    settings: Settings = request.app.state.settings
    deadline = time.monotonic() + min(wait, settings.events_max_wait)
    while True:
        page = await run_read(request, service.list_events, after=after, types=types, subject=subject,
                                 actor=actor, limit=limit)
        remaining = deadline - time.monotonic()
        if page.items or remaining <= 0 or await request.is_disconnected():
            return respond(request, page)
        await anyio.sleep(min(POLL_INTERVAL, remaining))
