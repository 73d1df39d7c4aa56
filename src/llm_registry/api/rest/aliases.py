"""Aliases of an asset: list, point one at a version (PUT), remove one."""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, encode, etag_matches, etag_of, respond
from llm_registry.api.rest.params import (
    DEFAULT_LIMIT,
    AliasPath,
    CursorQuery,
    KindsPath,
    LimitQuery,
    NamePath,
    NamespacePath,
    SettableAliasPath,
    alias_name,
    asset_reference,
)
from llm_registry.assets.models import Alias
from llm_registry.domain.pages import Page
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["aliases"])
ALIASES_PATH = "/v1/{kinds:collection}/{namespace}/{name}/aliases"


class AliasTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=256, description="An exact version of the asset")
    force: bool = Field(False, description="Activate a policy even though it would leave no admin able to "
                                           "change policy (`policy_lockout`)")


@router.get(ALIASES_PATH, response_model=Page[Alias], responses=responses.READ, name="list_aliases")
async def list_aliases(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """The asset's aliases, the implicit ``latest`` first."""
    page = await run_read(request, services.aliases.list_aliases, asset_reference(kinds, namespace, name),
                          cursor=cursor, limit=limit)
    return respond(request, page)


@router.get(ALIASES_PATH + "/{alias}", response_model=Alias, responses=responses.READ, name="get_alias")
async def get_alias(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    alias: AliasPath,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """One alias (``latest`` too); its ``ETag`` is what ``If-Match`` on a move expects."""
    found = await run_read(request, services.aliases.get_alias, asset_reference(kinds, namespace, name),
                           alias_name(alias))
    return respond(request, found)


@router.put(ALIASES_PATH + "/{alias}", response_model=Alias, responses=responses.GOVERNED_WRITE, name="set_alias")
async def set_alias(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    alias: SettableAliasPath,
    target: AliasTarget,
    if_match: Annotated[str | None, Header(description="Move only if the alias is still as this ETag (of "
                                           "GET …/aliases/{alias}) says; `*`: only if it exists")] = None,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Point the alias at a version (409 when that version is yanked, or ``precondition_failed``
    when ``If-Match`` no longer holds). Concurrent moves take turns: the last one wins."""
    precondition = None if if_match is None else functools.partial(_still_matches, request, if_match)
    moved = await run_service(request, services.aliases.set_alias, asset_reference(kinds, namespace, name),
                              alias_name(alias), target.version, actor=context.actor, precondition=precondition,
                              force=target.force)
    # The ETag of the alias as it now stands (what GET answers and If-Match compares), without
    # the trust policy's warnings about the move.
    stands = moved.model_copy(update={"warnings": []})
    return respond(request, moved, headers={"ETag": etag_of(encode(stands, msgpack_wanted=False)[0])})


def _still_matches(request: Request, if_match: str, current: Alias | None) -> bool:
    """Whether the alias as it stands is what ``If-Match`` names (RFC 9110 §13.1.1, weak comparison)."""
    if current is None:
        return False
    return etag_matches(if_match, etag_of(encode(current, msgpack_wanted=False)[0]))


@router.delete(ALIASES_PATH + "/{alias}", status_code=204, response_class=Response, responses=responses.DELETE,
               name="remove_alias")
async def remove_alias(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    alias: AliasPath,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Remove the alias (404 ``alias_not_found`` when it does not exist)."""
    await run_service(request, services.aliases.remove_alias, asset_reference(kinds, namespace, name),
                      alias_name(alias), actor=context.actor)
    return Response(status_code=204)
