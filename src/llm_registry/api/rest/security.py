"""Authentication, authorization and rate limiting of the REST API, decided in one place.

``ROUTE_PERMISSIONS`` declares the permission of every route (``METHOD /path-template``);
the authenticator that ``context.get_context`` calls looks the matched route up there, so
handlers never check access themselves. A route missing from the table is refused (and
fails the permission-matrix test). Ownership (a ``user`` updates only what it created) and
namespace grants depend on the resource: the services check them, with the same authorizer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request

from llm_registry import bootstrap
from llm_registry.accounts.services import AccountService
from llm_registry.api.rest.context import run_service
from llm_registry.api.rest.limits import RateLimitHeaders, client_address
from llm_registry.domain.access import Actor, Authorizer, Role
from llm_registry.errors import ForbiddenError, UnauthenticatedError
from llm_registry.ratelimit.memory import MemoryRateLimiter
from llm_registry.ratelimit.policy import RequestThrottle
from llm_registry.services import Services
from llm_registry.settings import Settings

PUBLIC = "public"  # anyone, no credentials looked at
AUTHENTICATED = "authenticated"  # any valid identity

_READ, _CREATE, _UPDATE, _DELETE = "assets:read", "assets:create", "assets:update", "assets:delete"
_ASSET = "/v1/{kinds}/{namespace}/{name}"
_VERSION = _ASSET + "/versions/{version}"

ROUTE_PERMISSIONS: dict[str, str] = {
    # operations
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    # assets
    "GET /v1/assets": _READ,
    "POST /v1/{kinds}": _CREATE,
    "POST /v1/batch/register": _CREATE,
    "GET /v1/{kinds}": _READ,
    f"GET {_ASSET}": _READ,
    f"GET {_ASSET}/versions": _READ,
    f"GET {_VERSION}": _READ,
    f"PATCH {_VERSION}": _UPDATE,
    f"DELETE {_VERSION}": _DELETE,
    f"GET {_VERSION}/history": _READ,
    f"GET {_ASSET}/aliases": _READ,
    f"GET {_ASSET}/aliases/{{alias}}": _READ,
    f"PUT {_ASSET}/aliases/{{alias}}": _UPDATE,
    f"DELETE {_ASSET}/aliases/{{alias}}": _UPDATE,
    "GET /v1/resolve": _READ,
    "POST /v1/prompts/{namespace}/{name}/versions/{version}/render": _READ,
    "GET /v1/search": _READ,
    "GET /v1/search/suggest": _READ,
    "GET /v1/lineage": _READ,
    "GET /v1/impact": _READ,
    "POST /v1/lock": _READ,
    "POST /v1/verify": _READ,
    "GET /v1/events": _READ,
    # blobs
    "HEAD /v1/blobs/{digest}": _READ,
    "GET /v1/blobs/{digest}": _READ,
    "PUT /v1/blobs/{digest}": _CREATE,
    "POST /v1/blobs/uploads": _CREATE,
    "GET /v1/blobs/uploads/{upload_id}": _CREATE,
    "PATCH /v1/blobs/uploads/{upload_id}": _CREATE,
    "PUT /v1/blobs/uploads/{upload_id}": _CREATE,
    "DELETE /v1/blobs/uploads/{upload_id}": _CREATE,
    f"GET {_VERSION}/files": _READ,
    # access
    "POST /v1/auth/login": PUBLIC,
    "POST /v1/auth/refresh": PUBLIC,
    "POST /v1/auth/logout": AUTHENTICATED,
    "POST /v1/auth/password": AUTHENTICATED,
    "GET /v1/auth/me": AUTHENTICATED,
    "POST /v1/users": "users:manage",
    "GET /v1/users": "users:manage",
    "GET /v1/users/{username}": "users:manage",
    "PATCH /v1/users/{username}": "users:manage",
    "GET /v1/namespace-grants": "users:manage",
    "PUT /v1/namespace-grants/{namespace}/{username}": "users:manage",
    "DELETE /v1/namespace-grants/{namespace}/{username}": "users:manage",
    "POST /v1/api-keys": "api-keys:create",
    "GET /v1/api-keys": "api-keys:create",
    "DELETE /v1/api-keys/{key_id}": "api-keys:create",
    "GET /v1/audit": "audit:read",
    # trust: signatures and provenance of a version (ownership checked by the service), signers
    f"GET {_VERSION}/signatures": _READ,
    f"POST {_VERSION}/signatures": _UPDATE,
    f"GET {_VERSION}/provenance": _READ,
    f"POST {_VERSION}/provenance": _UPDATE,
    f"GET {_VERSION}/verification": _READ,
    "GET /v1/signers": _READ,
    "GET /v1/signers/{signer}": _READ,
    "POST /v1/signers": "signers:manage",
    "DELETE /v1/signers/{signer}": "signers:manage",
    # governance: the policies in force and their dry run; approval requests (the service shows
    # one without policies:read only its own, and never lets a requester decide)
    "GET /v1/governance/policies": "policies:read",
    "POST /v1/governance/test": "policies:read",
    "GET /v1/approvals": AUTHENTICATED,
    "GET /v1/approvals/{approval_id}": AUTHENTICATED,
    "POST /v1/approvals/{approval_id}/approve": "policies:manage",
    "POST /v1/approvals/{approval_id}/reject": "policies:manage",
    # evaluations: recorded with their own permission (namespace grants checked by the service)
    "POST /v1/evaluations": "evaluations:record",
    "GET /v1/evaluations": _READ,
    "GET /v1/evaluations/compare": _READ,
    "GET /v1/evaluations/{evaluation_id}": _READ,
}

_log = logging.getLogger("llm_registry.security")
# Who a request without credentials acts as where anonymous reads are allowed.
ANONYMOUS_VIEWER = Actor("anonymous", Role.VIEWER)


def route_key(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", "")
    return f"{request.method} {path}"


@dataclass
class Security:
    """What the authenticator needs, built once per app."""

    accounts: AccountService
    authorizer: Authorizer
    throttle: RequestThrottle
    headers: RateLimitHeaders
    anonymous_read: bool
    # Identify on the event loop (SQLite store and in-memory limiter: nothing that waits).
    identify_inline: bool = False


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise UnauthenticatedError("the Authorization header must be `Bearer <token or API key>`")
    return value.strip()


_AUTHENTICATION_REQUIRED = "authentication required: send `Authorization: Bearer <token or API key>`"
FIRST_ADMIN_HINT = (
    "no user exists yet: create the first admin with `llm-registry admin create-user NAME --role admin "
    "--password-stdin` on the server's database, or set the bootstrap_admin setting"
)


def _identify(security: Security, request: Request, permission: str) -> Actor:
    """The actor of the request, charged to its rate-limit bucket; raises UnauthenticatedError,
    which says how to make the first admin while the registry has no user."""
    try:
        bearer = _bearer(request)
        if bearer is None:
            security.headers.apply(request, security.throttle.charge_address(client_address(request)))
            if permission == _READ and security.anonymous_read:
                return ANONYMOUS_VIEWER
            raise UnauthenticatedError(_AUTHENTICATION_REQUIRED)
        try:
            actor = security.accounts.sessions.authenticate(bearer)
        except UnauthenticatedError:
            # Guessing credentials costs the guesser's address.
            security.headers.apply(request, security.throttle.charge_address(client_address(request)))
            raise
    except UnauthenticatedError as error:
        if security.accounts.users.has_users():
            raise
        raise UnauthenticatedError(f"{error.message}; {FIRST_ADMIN_HINT}", field=error.field) from None
    security.headers.apply(request, security.throttle.charge_actor(actor))
    return actor


async def authenticate(request: Request) -> Actor:
    """The authenticator of a server with authentication: who asks, and may they.

    The route's permission is checked here by role; what depends on the resource (who created
    a version, namespace grants) the services check, with the actor this answers.
    """
    security: Security = request.app.state.security
    permission = ROUTE_PERMISSIONS.get(route_key(request))
    if permission is None:
        raise ForbiddenError(f"{route_key(request)} declares no permission")
    if permission == PUBLIC:
        return ANONYMOUS_VIEWER
    if security.identify_inline:
        # SQLite reads and the in-memory limiter never block: a thread hop would cost more
        # than the check (as for the app's own reads; see context.ServiceThreads).
        actor = _identify(security, request, permission)
    else:
        actor = await run_service(request, _identify, security, request, permission)
    if permission != AUTHENTICATED:
        security.authorizer.require(actor, permission)
    return actor


def build_security(services: Services, settings: Settings) -> Security | None:
    """What ``authenticate`` needs on a server with accounts, or None in open mode
    (``settings.no_auth``). Creates the ``bootstrap_admin`` when there is no user yet."""
    accounts = services.accounts
    authorizer = services.context.authorizer
    if accounts is None or authorizer is None:
        raise ValueError("a server with authentication needs services built with accounts")
    if settings.bootstrap_admin:
        name, _, password = settings.bootstrap_admin.partition(":")
        if accounts.users.ensure_admin(name, password) is not None:
            _log.warning("bootstrap admin %r created; unset bootstrap_admin now", name)
    if settings.no_auth:
        return None
    if not accounts.users.has_users():
        _log.warning(
            "no user exists: every request will be refused (401) until the first admin is created with "
            "`llm-registry admin create-user NAME --role admin --password-stdin` on this database, "
            "or the bootstrap_admin setting is set"
        )
    if not settings.jwt_secret:
        _log.warning("jwt_secret is not set: tokens are signed with a random key of this process only")
    throttle = bootstrap.build_request_throttle(settings)
    return Security(
        accounts=accounts,
        authorizer=authorizer,
        throttle=throttle,
        headers=RateLimitHeaders(throttle.policy.limits()),
        anonymous_read=settings.anonymous_read,
        identify_inline=services.store.backend == "sqlite" and isinstance(throttle.limiter, MemoryRateLimiter),
    )


__all__ = [
    "AUTHENTICATED",
    "PUBLIC",
    "ROUTE_PERMISSIONS",
    "Security",
    "authenticate",
    "build_security",
    "route_key",
]
