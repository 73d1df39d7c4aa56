"""The audit log: every event with its actor, filtered by actor, type, subject and time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest.context import RequestContext, get_context, get_services
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import EMPTY_OR_TIME, EVENT_CURSOR_PATTERN, EventTypesQuery, SubjectQuery
from llm_registry.domain.pages import Page
from llm_registry.events.models import Event
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["audit"])


@router.get("/v1/audit", response_model=Page[Event], name="audit")
def audit(
    request: Request,
    actor: Annotated[str | None, Query(max_length=200, description="Only changes by this actor")] = None,
    type: EventTypesQuery = [],  # noqa: B006
    subject: SubjectQuery = None,
    since: Annotated[str | None, Query(max_length=64, description="From this time (ISO-8601) on",
                                       json_schema_extra=EMPTY_OR_TIME)] = None,
    until: Annotated[str | None, Query(max_length=64, description="Before this time (ISO-8601)",
                                       json_schema_extra=EMPTY_OR_TIME)] = None,
    cursor: Annotated[str | None, Query(max_length=32, description="Read on after this cursor",
                                        json_schema_extra={"pattern": EVENT_CURSOR_PATTERN})] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Who did what: events oldest first; ``next_cursor`` is null on the last page."""
    page = services.events.list_events(after=cursor, types=type or (), subject=subject, actor=actor, since=since,
                               until=until, limit=limit)
    next_cursor = page.next_cursor if len(page.items) == limit else None
    return respond(request, Page[Event](items=page.items, next_cursor=next_cursor))
