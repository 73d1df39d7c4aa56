"""Assets: register a version (``POST /v1/{kinds}``), list assets, read one asset."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import (
    DEFAULT_LIMIT,
    NAME_PATTERN,
    CursorQuery,
    KindsPath,
    LimitQuery,
    NamePath,
    NamespacePath,
    asset_reference,
)
from llm_registry.assets.models import AssetSummary, Manifest, VersionDocument
from llm_registry.domain.kinds import Kind
from llm_registry.domain.pages import Page
from llm_registry.errors import ValidationError
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["assets"])
NamespaceQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="Only assets of this namespace")]


@router.get("/v1/assets", response_model=Page[AssetSummary], responses=responses.READ, name="list_all_assets")
async def list_all_assets(
    request: Request,
    kind: Annotated[Kind | None, Query(description="Only assets of this kind")] = None,
    namespace: NamespaceQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Assets of every kind, ordered by kind, namespace and name."""
    page = await run_read(request, services.catalog.list_assets, kind=kind, namespace=namespace, cursor=cursor,
                          limit=limit)
    return respond(request, page)


@router.post(
    "/v1/{kinds:collection}", status_code=201, response_model=VersionDocument, name="register_version",
    responses={200: {"model": VersionDocument, "description": "The identical document was already registered"},
               **responses.GOVERNED_WRITE},
)
async def register_version(
    request: Request,
    kinds: KindsPath,
    manifest: Manifest,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Register a version document: 201 when new, 200 when the identical document exists, 409 when it
    exists with different immutable fields."""
    if manifest.kind is not kinds.kind:
        raise ValidationError(
            f"a {manifest.kind.value} document cannot be registered in /v1/{kinds.value}", code="invalid_kind",
            field="kind",
        )
    # The service gets the document as sent (FastAPI has checked its shape for the OpenAPI
    # contract): it applies every rule itself, exactly as for the embedded registry.
    document, created = await run_service(request, services.registration.register, await request.json(),
                                            actor=context.actor)
    location = f"/v1/{kinds.value}/{document.name}/versions/{quote(document.version, safe='')}"
    return respond(request, document, status_code=201 if created else 200, headers={"Location": location})


@router.get("/v1/{kinds:collection}", response_model=Page[AssetSummary], responses=responses.READ,
            name="list_assets")
async def list_assets(
    request: Request,
    kinds: KindsPath,
    namespace: NamespaceQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Assets of a kind, ordered by namespace and name."""
    page = await run_read(request, services.catalog.list_assets, kind=kinds.kind, namespace=namespace, cursor=cursor,
                             limit=limit)
    return respond(request, page)


@router.get("/v1/{kinds:collection}/{namespace}/{name}", response_model=AssetSummary, responses=responses.READ,
            name="get_asset")
async def get_asset(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """An asset: its aliases, latest release and version count."""
    asset = await run_read(request, services.catalog.get_asset, asset_reference(kinds, namespace, name))
    return respond(request, asset)
