"""``GET /v1/resolve?ref=``: the version a reference chooses (exact, range, alias, digest, latest)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import ReferenceQuery, TimeQuery
from llm_registry.assets.models import VersionDocument
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["resolve"])


@router.get("/v1/resolve", response_model=VersionDocument, responses=responses.READ, name="resolve")
async def resolve(
    request: Request,
    ref: ReferenceQuery,
    as_of: TimeQuery = None,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """The version document the reference chooses; ranges never choose yanked versions."""
    return respond(request, await run_read(request, services.catalog.get, ref, as_of=as_of))
