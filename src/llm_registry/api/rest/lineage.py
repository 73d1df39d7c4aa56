"""Lineage over pinned dependencies: ``GET /v1/lineage``, ``GET /v1/impact``, ``POST /v1/lock``
and ``POST /v1/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import ReferenceQuery
from llm_registry.assets.models import Relation
from llm_registry.lineage.models import Direction, ImpactReport, LineageGraph, Lockfile, VerifyReport
from llm_registry.lineage.services import MAX_DEPTH, MAX_LOCK_REFS, LineageService
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["lineage"])



async def get_lineage_service(request: Request) -> LineageService:
    """The app's lineage service (built once by ``create_app``)."""
    services: Services = request.app.state.services
    return services.lineage


class LockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refs: list[str] = Field(min_length=1, max_length=MAX_LOCK_REFS, description="References to lock")


@router.get("/v1/lineage", response_model=LineageGraph, responses=responses.READ, name="lineage")
def lineage(
    request: Request,
    ref: ReferenceQuery,
    direction: Annotated[Direction, Query(description="up: its pins; down: its dependents")] = Direction.BOTH,
    depth: Annotated[int | None, Query(ge=0, le=MAX_DEPTH, description="At most this many edges away")] = None,
    relations: Annotated[list[str], Query(
        alias="relation", description="Follow only these relations",
        json_schema_extra={"items": {"enum": [relation.value for relation in Relation]}},
    )] = [],  # noqa: B006
    context: RequestContext = Depends(get_context),
    service: LineageService = Depends(get_lineage_service),
) -> Response:
    """The graph of pinned dependencies around the version ``ref`` chooses: ``{nodes, edges}``."""
    return respond(request, service.lineage(ref, direction=direction, depth=depth, relations=relations))


@router.get("/v1/impact", response_model=ImpactReport, responses=responses.READ, name="impact")
def impact(
    request: Request,
    ref: ReferenceQuery,
    context: RequestContext = Depends(get_context),
    service: LineageService = Depends(get_lineage_service),
) -> Response:
    """Every version that depends on this one, directly or transitively, with its path from it."""
    return respond(request, service.impact(ref))


@router.post("/v1/lock", response_model=Lockfile, responses=responses.BODY, name="lock")
def lock(
    request: Request,
    body: LockRequest,
    context: RequestContext = Depends(get_context),
    service: LineageService = Depends(get_lineage_service),
) -> Response:
    """The transitive closure of the pins of ``refs`` with digests: a lockfile."""
    return respond(request, service.lock(body.refs))


@router.post("/v1/verify", response_model=VerifyReport, responses=responses.BODY, name="verify_lock")
def verify(
    request: Request,
    body: Lockfile,
    context: RequestContext = Depends(get_context),
    service: LineageService = Depends(get_lineage_service),
) -> Response:
    """Check a lockfile: each entry ``ok``, ``missing``, ``digest_changed`` or ``yanked``."""
    return respond(request, service.verify_lock(body))
