"""``GET /v1/events``: the change feed from a cursor, with a bounded long-poll (``wait``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read, run_wait
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import (
    DEFAULT_LIMIT,
    EVENT_CURSOR_PATTERN,
    EventTypesQuery,
    LimitQuery,
    SubjectQuery,
)
from llm_registry.domain.pages import Page
from llm_registry.events.models import Event
from llm_registry.services import Services
from llm_registry.settings import Settings

router = APIRouter(route_class=RegistryRoute, tags=["events"])
MAX_WAIT = 60.0


@router.get("/v1/events", response_model=Page[Event], responses=responses.READ, name="list_events")
async def list_events(
    request: Request,
    after: Annotated[str | None, Query(max_length=32, description="Events after this cursor (`next_cursor`)",
                                       json_schema_extra={"pattern": EVENT_CURSOR_PATTERN})] = None,
    types: EventTypesQuery = [],  # noqa: B006
    subject: SubjectQuery = None,
    actor: Annotated[str | None, Query(max_length=256, description="Only events by this actor")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait for an event when none is "
                                 "there yet (bounded by the server's events_max_wait)")] = 0,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Events after the cursor, oldest first; ``next_cursor`` is where to read on (always set).
    Account events (users, sessions, API keys, grants) only for callers who may read the audit log."""
    settings: Settings = request.app.state.settings
    wait = min(wait, settings.events_max_wait)
    run = run_wait if wait > 0 else run_read
    page = await run(request, services.events.list_events, after=after, types=types, subject=subject, actor=actor,
                     limit=limit, wait=wait, reader=context.actor)
    return respond(request, page)
