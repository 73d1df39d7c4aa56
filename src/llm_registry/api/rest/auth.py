"""Sessions: log in, refresh (rotating), log out, change one's password, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from llm_registry.accounts.models import TokenPair, User
from llm_registry.accounts.services import AccountService
from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_accounts, get_context
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.limits import client_address
from llm_registry.api.rest.security import Security

router = APIRouter(route_class=RegistryRoute, tags=["auth"])
Context = Annotated[RequestContext, Depends(get_context)]
Accounts = Annotated[AccountService, Depends(get_accounts)]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Refresh(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(max_length=512)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.post("/v1/auth/login", response_model=TokenPair, responses={
    401: responses.problem("Wrong username or password, or a disabled user (`unauthenticated`)"),
    429: responses.problem("Too many login attempts (`rate_limited`)", headers=("Retry-After",)),
}, name="login")
async def login(request: Request, body: Login, accounts: Accounts) -> Response:
    """A new session: a short-lived access token and a refresh token (both shown this once)."""
    security: Security | None = request.app.state.security
    if security is not None:
        decision = await run_in_threadpool(security.throttle.charge_login, client_address(request), body.username)
        security.headers.apply(request, decision, "too many login attempts")
    pair = await run_in_threadpool(accounts.sessions.login, body.username, body.password)
    return respond(request, pair, headers={"Cache-Control": "no-store"})


@router.post("/v1/auth/refresh", response_model=TokenPair, responses={
    401: responses.problem("Not a valid refresh token, or a spent one (which ends the session)"),
}, name="refresh")
async def refresh(request: Request, body: Refresh, accounts: Accounts) -> Response:
    """Spend a refresh token for a new pair; reusing a spent one ends the whole session."""
    pair = await run_in_threadpool(accounts.sessions.refresh, body.refresh_token)
    return respond(request, pair, headers={"Cache-Control": "no-store"})


@router.post("/v1/auth/logout", status_code=204, name="logout")
def logout(context: Context, accounts: Accounts) -> Response:
    """End the session of the access token used (API keys are revoked instead)."""
    accounts.sessions.logout(context.actor)
    return Response(status_code=204)


@router.post("/v1/auth/password", status_code=204, responses={
    401: responses.problem("The current password is wrong (`unauthenticated`)"),
}, name="change_password")
def change_password(body: PasswordChange, context: Context, accounts: Accounts) -> Response:
    """Change one's own password; every session of the user ends."""
    accounts.users.change_password(context.actor, body.current_password, body.new_password)
    return Response(status_code=204)


@router.get("/v1/auth/me", response_model=User, name="whoami")
def whoami(request: Request, context: Context, accounts: Accounts) -> Response:
    """The user behind the credentials (role as the credentials grant it)."""
    user = accounts.users.get_user(context.actor.username, actor=context.actor)
    return respond(request, user.model_copy(update={"role": context.actor.role}))
