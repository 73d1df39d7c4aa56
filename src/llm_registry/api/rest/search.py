"""``GET /v1/search`` (text, filter, facets, sort, cursor) and ``GET /v1/search/suggest``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import CursorQuery
from llm_registry.domain import patterns
from llm_registry.domain.kinds import Kind
from llm_registry.search.models import SearchPage, Sort, Suggestion
from llm_registry.search.services import FACET_FIELDS, MAX_FACETS, MAX_LIMIT, MAX_TERMS, SearchService
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["search"])
_FACET = "|".join(sorted(FACET_FIELDS)) + r"|spec\.[A-Za-z0-9_-]{1,128}|annotations\." + patterns.ANNOTATION_KEY
FACET_PATTERN = f"^(?:{_FACET})$"


async def get_search_service(request: Request) -> SearchService:
    """The app's search service (built once by ``create_app``)."""
    services: Services = request.app.state.services
    return services.search


@router.get("/v1/search", response_model=SearchPage, responses=responses.READ, name="search")
def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=1024, description=f"Words to find (all must match; at most {MAX_TERMS} "
                                   "runs of letters, digits and `_`, in any script)")] = None,
    filter: Annotated[str | None, Query(max_length=4096, description="A filter expression (docs/search.md; 422 "
                                        "`invalid_filter` when it does not parse)",
                                        json_schema_extra={"format": "search-filter"})] = None,
    kind: Annotated[str | None, Query(max_length=16, description="Only this kind",
                                      json_schema_extra={"enum": [kind.value for kind in Kind]})] = None,
    sort: Annotated[Sort | None, Query(description="Default: relevance with q, else created; relevance needs q "
                                       "(422 otherwise); a cursor goes on with the sort it came from (422 "
                                       "`invalid_cursor` with another)")] = None,
    facets: Annotated[list[str], Query(
        max_length=MAX_FACETS,
        description=f"Fields to count values of (repeat, or comma-separated; at most {MAX_FACETS})",
        json_schema_extra={"items": {"type": "string", "pattern": FACET_PATTERN}},
    )] = [],  # noqa: B006
    all_versions: Annotated[bool, Query(description="Every version, not only each asset's current one")] = False,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Results per page")] = 20,
    context: RequestContext = Depends(get_context),
    service: SearchService = Depends(get_search_service),
) -> Response:
    """``{"items", "next_cursor", "facets"}``; a filter that does not parse answers 422 ``invalid_filter``."""
    names = [name.strip() for value in facets for name in value.split(",") if name.strip()]
    page = service.search(
        q, kind=kind, filter=filter, sort=sort, facets=names, all_versions=all_versions, cursor=cursor, limit=limit
    )
    return respond(request, page)


@router.get("/v1/search/suggest", response_model=list[Suggestion], responses=responses.READ, name="suggest")
def suggest(
    request: Request,
    prefix: Annotated[str, Query(min_length=1, max_length=129, description="What the user typed so far (not only "
                                 "spaces)", json_schema_extra={"pattern": "[^ \\t\\n\\r\\f\\v]"})],
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many suggestions")] = 10,
    context: RequestContext = Depends(get_context),
    service: SearchService = Depends(get_search_service),
) -> Response:
    """Asset names (most pinned first), then tags, starting with ``prefix``."""
    return respond(request, [s.model_dump(mode="json") for s in service.suggest(prefix, limit=limit)])
