"""The request context (who is asking, the request id) and where service calls run.

The actor comes from one dependency, ``get_context``, which asks the app's authenticator
(``security.authenticate`` on a server with authentication, ``open_access`` without; tests
may give ``create_app`` their own). Handlers only ever see ``RequestContext`` (and the
services, ``get_services`` / ``get_accounts``), and call the
synchronous services through ``run_service`` (may write), ``run_read`` (only reads) or
``run_wait`` (may wait long, as a long-poll does).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import anyio
from fastapi import Request

from llm_registry.domain.access import Actor, Role
from llm_registry.errors import NotFoundError
from llm_registry.services import Services

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService

P = ParamSpec("P")
R = TypeVar("R")

# The id of the request being served, for log lines written anywhere below the middleware.
request_id_var: ContextVar[str | None] = ContextVar("llm_registry_request_id", default=None)


ANONYMOUS = Actor("anonymous", Role.ADMIN)
"""Who every request acts as on a server without authentication (``serve --no-auth``): the
admin, as the process owner of an embedded registry is."""

Authenticator = Callable[[Request], Awaitable[Actor]]
"""Turns a request into its actor; raises UnauthenticatedError (401) when it cannot."""


async def open_access(request: Request) -> Actor:
    """The open mode (``serve --no-auth``)."""
    return ANONYMOUS


@dataclass(frozen=True, slots=True)
class RequestContext:
    actor: Actor
    request_id: str


async def get_context(request: Request) -> RequestContext:
    """The request's context; the one place a request's actor is decided."""
    authenticator: Authenticator = request.app.state.authenticator
    actor = await authenticator(request)
    request.state.actor = actor.name  # for the access log
    return RequestContext(actor=actor, request_id=request_id_of(request))


async def get_services(request: Request) -> Services:
    """The app's services (built once by ``create_app``)."""
    services: Services = request.app.state.services
    return services


async def get_accounts(request: Request) -> AccountService:
    """The app's account services; raises NotFoundError on an app built without them (one given
    its own authenticator mounts no access routes, so only a misrouted call gets here)."""
    services: Services = request.app.state.services
    if services.accounts is None:
        raise NotFoundError("this server has no accounts")
    return services.accounts


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or "")


class ServiceThreads:
    """Where service calls run: a fixed-size thread pool (``settings.threads`` threads), and,
    for reads on SQLite, the event loop's own thread.

    Threads that live as long as the app mean a bounded number of database connections and
    none lost to threads that come and go. ``shutdown`` (at the app's shutdown) waits for
    calls in flight; a later call starts a new pool, so an app may be started again.

    Why SQLite reads run inline: a WAL read never waits for a lock and takes tens of
    microseconds, while handing it to a thread and back costs about 200 µs of GIL hand-offs
    per request (measured: 230 µs against 420-480 µs a GET in process, twice the throughput;
    see docs/server.md). Writes (which may wait for another process's lock) and every call
    on PostgreSQL (a network round trip each) stay on the threads.
    """

    def __init__(self, threads: int, *, inline_reads: bool = False) -> None:
        self.threads = threads
        self.inline_reads = inline_reads
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the pool has threads (started by a call, stopped by ``shutdown``)."""
        return self._executor is not None

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="llm-registry")
            return self._executor

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


async def run_service(request: Request, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service call that may write, on the app's service threads, in the request's context."""
    threads: ServiceThreads = request.app.state.service_threads
    call = functools.partial(contextvars.copy_context().run, functools.partial(function, *args, **kwargs))
    return await asyncio.get_running_loop().run_in_executor(threads.executor(), call)


async def run_read(request: Request, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service call that only reads: inline when reads never block (SQLite), else on the threads."""
    threads: ServiceThreads = request.app.state.service_threads
    if threads.inline_reads:
        return function(*args, **kwargs)
    call = functools.partial(contextvars.copy_context().run, functools.partial(function, *args, **kwargs))
    return await asyncio.get_running_loop().run_in_executor(threads.executor(), call)


# Long-polls wait in threads of their own (a sleeping thread costs little), so that they never
# hold the service threads that every other request needs.
MAX_WAITING = 256


async def run_wait(request: Request, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service call that may block for long (a long-poll) on a thread of its own."""
    limiter: anyio.CapacityLimiter = request.app.state.waiting_threads
    call = functools.partial(contextvars.copy_context().run, functools.partial(function, *args, **kwargs))
    return await anyio.to_thread.run_sync(call, limiter=limiter)
