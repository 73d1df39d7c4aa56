"""``GET /v1/resolve?ref=``: the version a reference chooses (exact, range, alias, digest, latest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.assets.models import VersionDocument
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["resolve"])


@router.get("/v1/resolve", response_model=VersionDocument, responses=responses.READ, name="resolve")
async def resolve(
    request: Request,
    ref: Annotated[str, Query(min_length=1, max_length=1024, description="kind:namespace/name[@selector]")],
    as_of: Annotated[str | None, Query(max_length=64, description="ISO-8601 time: the labels as they were")] = None,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """The version document the reference chooses; ranges never choose yanked versions."""
    return respond(request, await run_read(request, services.catalog.get, ref, as_of=as_of))
