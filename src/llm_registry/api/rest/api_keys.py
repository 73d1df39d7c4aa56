"""API keys: create (the secret is answered once), list, revoke. Who may list or revoke
whose keys is the service's decision; this module passes what the caller asked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.accounts.models import ApiKey, CreatedApiKey
from llm_registry.accounts.services import AccountService
from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_accounts, get_context
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.domain.access import Role
from llm_registry.domain.pages import Page

router = APIRouter(route_class=RegistryRoute, tags=["api-keys"])
Context = Annotated[RequestContext, Depends(get_context)]
Accounts = Annotated[AccountService, Depends(get_accounts)]


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    role: Role | None = None
    expires_at: str | None = Field(default=None, max_length=64)


@router.post("/v1/api-keys", status_code=201, response_model=CreatedApiKey, name="create_api_key")
def create_api_key(request: Request, body: NewApiKey, context: Context, accounts: Accounts) -> Response:
    """A key acting for the caller with at most the caller's role; ``key`` is shown this once."""
    created = accounts.api_keys.create_api_key(context.actor, body.name, role=body.role, expires_at=body.expires_at)
    return respond(request, created, status_code=201, headers={"Cache-Control": "no-store"})


@router.get("/v1/api-keys", response_model=Page[ApiKey], name="list_api_keys")
def list_api_keys(
    request: Request,
    context: Context,
    accounts: Accounts,
    all_users: Annotated[bool, Query(alias="all", description="Every user's keys (needs users:manage)")] = False,
) -> Response:
    """The caller's keys; with ``all=true`` every user's (403 without ``users:manage``)."""
    keys = accounts.api_keys.list_api_keys(context.actor, every_user=all_users)
    return respond(request, Page[ApiKey](items=keys, next_cursor=None))


@router.delete("/v1/api-keys/{key_id}", response_model=ApiKey, responses=responses.NOT_FOUND, name="revoke_api_key")
def revoke_api_key(
    request: Request, key_id: Annotated[str, Path(max_length=26)], context: Context, accounts: Accounts
) -> Response:
    """Revoke one of the caller's keys (any key with ``users:manage``); it stops working at once."""
    return respond(request, accounts.api_keys.revoke_api_key(context.actor, key_id))
