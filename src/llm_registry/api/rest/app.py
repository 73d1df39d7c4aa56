"""``create_app(settings)``: the one place that builds the REST application.

It builds the services over the store at ``settings.url`` (``bootstrap.build_services``:
creating the schema in an empty database, refusing an outdated one), mounts one router per
resource and the middleware, and closes the store when the app shuts down. Worker processes of
``serve --workers N`` call it through ``workers.WorkerApp`` with the supervisor's settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.routing import BaseRoute

from llm_registry import bootstrap
from llm_registry.api.rest import (
    aliases,
    api_keys,
    assets,
    audit,
    auth,
    batch,
    blobs,
    docs,
    evaluations,
    events,
    governance,
    health,
    openapi,
    prompts,
    provenance,
    resolve,
    signatures,
    signers,
    users,
    versions,
)
from llm_registry.api.rest import lineage as lineage_routes
from llm_registry.api.rest import search as search_routes
from llm_registry.api.rest.context import MAX_WAITING, Authenticator, ServiceThreads, open_access
from llm_registry.api.rest.errors import install_error_handlers
from llm_registry.api.rest.middleware import BodyLimitMiddleware, RequestContextMiddleware
from llm_registry.api.rest.security import authenticate, build_security
from llm_registry.domain.times import Clock, system_clock
from llm_registry.errors import ValidationError
from llm_registry.settings import Settings

API_VERSION = "1"
DESCRIPTION = """\
The REST API of LLM Registry: register, find and change versions of models, datasets,
prompts, pipelines, policies and test suites.

* Bodies and answers are the version document of the Python API, JSON by default and
  MessagePack with `Accept: application/msgpack` / `Content-Type: application/msgpack`.
* Errors are RFC 9457 `application/problem+json` with a stable `code` and the `field` to blame.
* Lists answer `{"items": [...], "next_cursor": ...}`; pass `cursor` to read on.
* Reads carry an `ETag`; `If-None-Match` answers 304 when nothing changed.
"""


def create_app(
    settings: Settings, *, authenticator: Authenticator | None = None, clock: Clock = system_clock
) -> FastAPI:
    """The application serving the registry at ``settings.url``; raises RegistryError when the
    location is remote, unreachable or its schema is outdated. ``clock`` is the services' one
    clock (what changes record, and what sessions, keys and tokens are checked against).

    Authentication is required (users, sessions, API keys, RBAC, rate limits) unless
    ``settings.no_auth`` says otherwise; an explicit ``authenticator`` replaces all of that
    (the access routes are then not mounted).
    """
    if bootstrap.is_remote(settings.url):
        raise ValidationError(
            f"the server needs a database, not another server: {settings.url!r}", code="invalid_parameter",
            field="url",
        )
    services = bootstrap.build_services(settings, with_accounts=authenticator is None, clock=clock)
    store = services.store
    service_threads = ServiceThreads(settings.threads, inline_reads=store.backend == "sqlite")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service_threads.shutdown()
            security = getattr(app.state, "security", None)
            if security is not None:
                security.throttle.close()
            services.close()

    app = FastAPI(
        title="LLM Registry",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        middleware=_middleware(settings),
        # Each request gets its own problem answers; FastAPI's defaults would answer plain JSON.
        redirect_slashes=False,
        # /docs is served from the package (api/rest/docs.py); ReDoc, from a CDN only, is not.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.services = services
    app.state.service_threads = service_threads
    app.state.waiting_threads = anyio.CapacityLimiter(MAX_WAITING)
    app.state.authenticator = authenticator or open_access
    app.state.security = None
    install_error_handlers(app)
    # Routes are tried in order, and the busiest (a version, an alias, a resolve) would otherwise
    # be tried after forty others. They come first: each of their paths has a literal segment
    # ("versions", "aliases", "resolve") where no other route has one, so none can take another's
    # request. Then fixed paths, before the ``/v1/{kinds}`` patterns that would also match them.
    for router in (versions.router, aliases.router, resolve.router):
        app.include_router(router)
    if authenticator is None:
        # Users, sessions, keys and the audit log: a server with accounts (authenticating, or
        # open with --no-auth); an app given its own authenticator has none.
        for router in (auth.router, users.router, api_keys.router, audit.router):
            app.include_router(router)
    app.include_router(lineage_routes.router)
    app.include_router(search_routes.router)
    app.include_router(batch.router)
    app.include_router(blobs.router)
    for router in (signatures.router, provenance.router, signers.router, governance.router):
        app.include_router(router)
    app.include_router(evaluations.router)
    for router in (health.router, events.router, prompts.router, assets.router):
        app.include_router(router)
    if authenticator is None:
        app.state.security = build_security(services, settings)
        if app.state.security is not None:
            app.state.authenticator = authenticate
    openapi.install(app)
    app.router.routes.extend(docs.routes(app.title, app.openapi_url or "/openapi.json"))
    _flatten_routes(app)
    return app


def _flatten_routes(app: FastAPI) -> None:
    """The routes of the included routers, in their order, as the app's own list.

    FastAPI keeps an included router as one entry and matches a request against it through a
    layer of per-request objects: about 5 µs per route tried, 220 µs for a request whose route
    comes late. The routers are included without prefix, dependencies or other options, so
    their routes are the same routes on the app itself, matched by Starlette directly.
    """
    flat: list[BaseRoute] = []

    def add(routes: list[BaseRoute]) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is None:
                flat.append(route)
            else:
                add(included.routes)

    add(app.router.routes)
    app.router.routes[:] = flat


# What a browser on an allowed origin may send and read: the headers the routes take (If-Match
# moves an alias; Range, Content-Range and Upload-Offset are the blob routes') and answer.
CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Accept", "If-None-Match", "If-Match", "X-Request-ID",
                        "Range", "Content-Range", "Upload-Offset"]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy",
                        "Content-Range", "Accept-Ranges", "Upload-Offset", "Range"]


def cors_origins(settings: Settings) -> list[str]:
    return [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]


def _middleware(settings: Settings) -> list[Middleware]:
    stack = [Middleware(RequestContextMiddleware, access_log=settings.access_log)]
    origins = cors_origins(settings)
    if origins:
        stack.append(Middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=CORS_METHODS, allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS, max_age=600,
        ))
    # Blob bytes are opaque (and mostly compressed already): never gzipped on the way out.
    stack.append(Middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes, compresslevel=5,
                            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream")))
    # Blob routes stream their bodies and hold them to limits of their own (api/rest/blobs.py).
    stack.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, exempt_prefixes=("/v1/blobs/",)))
    return stack
