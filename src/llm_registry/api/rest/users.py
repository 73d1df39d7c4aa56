"""Users and namespace grants (``users:manage``): create, list, change, disable; grant namespaces."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.accounts.models import NamespaceGrant, User
from llm_registry.accounts.services import AccountService
from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_accounts, get_context
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import rule
from llm_registry.domain import patterns
from llm_registry.domain.access import Role
from llm_registry.domain.pages import Page

router = APIRouter(route_class=RegistryRoute, tags=["users"])
UsernamePath = Annotated[str, Path(max_length=64, json_schema_extra=rule(patterns.USERNAME))]
NamespacePath = Annotated[str, Path(max_length=64, json_schema_extra=rule(patterns.NAME_PART))]
Context = Annotated[RequestContext, Depends(get_context)]
Accounts = Annotated[AccountService, Depends(get_accounts)]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: Role


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: bool | None = Field(default=None, strict=True)
    password: str | None = Field(default=None, max_length=1024)


@router.post("/v1/users", status_code=201, response_model=User, responses=responses.CONFLICT, name="create_user")
def create_user(request: Request, body: NewUser, context: Context, accounts: Accounts) -> Response:
    user = accounts.users.create_user(body.username, body.password, body.role, actor=context.actor)
    return respond(request, user, status_code=201)


@router.get("/v1/users", response_model=Page[User], name="list_users")
def list_users(request: Request, context: Context, accounts: Accounts) -> Response:
    users = accounts.users.list_users(actor=context.actor)
    return respond(request, Page[User](items=users, next_cursor=None))


@router.get("/v1/users/{username}", response_model=User, responses=responses.NOT_FOUND, name="get_user")
def get_user(request: Request, username: UsernamePath, context: Context, accounts: Accounts) -> Response:
    return respond(request, accounts.users.get_user(username, actor=context.actor))


@router.patch("/v1/users/{username}", response_model=User, responses=responses.WRITE, name="update_user")
def update_user(
    request: Request, username: UsernamePath, body: UserPatch, context: Context, accounts: Accounts
) -> Response:
    """Change role, password or disabled; disabling ends the user's sessions and revokes its keys."""
    user = accounts.users.update_user(
        username, role=body.role, disabled=body.disabled, password=body.password, actor=context.actor
    )
    return respond(request, user)


@router.get("/v1/namespace-grants", response_model=Page[NamespaceGrant], name="list_namespace_grants")
def list_grants(
    request: Request,
    context: Context,
    accounts: Accounts,
    namespace: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    grants = accounts.grants.list_grants(actor=context.actor, namespace=namespace, username=username)
    return respond(request, Page[NamespaceGrant](items=grants, next_cursor=None))


@router.put("/v1/namespace-grants/{namespace}/{username}", response_model=NamespaceGrant,
            responses=responses.NOT_FOUND, name="grant_namespace")
def grant_namespace(
    request: Request, namespace: NamespacePath, username: UsernamePath, context: Context, accounts: Accounts
) -> Response:
    """Let the user write in the namespace; a granted namespace is closed to everyone else."""
    return respond(request, accounts.grants.grant_namespace(namespace, username, actor=context.actor))


@router.delete("/v1/namespace-grants/{namespace}/{username}", status_code=204, responses=responses.NOT_FOUND,
               name="revoke_namespace")
def revoke_namespace(
    namespace: NamespacePath, username: UsernamePath, context: Context, accounts: Accounts
) -> Response:
    accounts.grants.revoke_namespace(namespace, username, actor=context.actor)
    return Response(status_code=204)
