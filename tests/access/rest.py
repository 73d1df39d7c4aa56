"""Helpers of the REST access tests: an authenticated app in process, with one user per role,
and the same app served on a real socket for clients that only speak HTTP (the CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from fastapi import FastAPI

from llm_registry.accounts.services import AccountService
from llm_registry.accounts.users import SYSTEM
from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.domain.times import Clock, system_clock
from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings
from tests.access.conftest import SECRET

PASSWORD = "correct horse battery"
ROLES = ("admin", "developer", "user", "viewer")
GENEROUS = ",".join(f"{role}=100000" for role in (*ROLES, "anonymous"))


@dataclass
class Server:
    client: httpx.Client
    accounts: AccountService
    transport: InProcessTransport
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)  # role -> access token

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def remote(self, token: str | None = None) -> RemoteRegistry:
        """The Python client against this app (closing it leaves the app running)."""
        return RemoteRegistry("http://r.test", settings=Settings.load(environ={}), token=token,
                              transport=Borrowed(self.transport))


class Borrowed(httpx.BaseTransport):
    """Another's transport, which closing a client must not close (closing an in-process
    transport shuts its app down)."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        pass


def build_app(location: str, *, clock: Clock = system_clock, **overrides: object) -> FastAPI:
    values: dict[str, object] = {"url": location, "jwt_secret": SECRET, "access_log": False, "rate_limits": GENEROUS}
    values.update(overrides)
    return create_app(Settings.load(values, environ={}), clock=clock)


@contextmanager
def running(location: str, *, users: bool = True, clock: Clock = system_clock, **overrides: object) -> Iterator[Server]:
    """The app in process; with ``users``, one user per role (``<role>1``), logged in."""
    app = build_app(location, clock=clock, **overrides)
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url="http://r.test") as client:
        accounts = app.state.services.accounts
        server = Server(client, accounts, transport, app)
        if users:
            for role in ROLES:
                accounts.users.create_user(f"{role}1", PASSWORD, role, actor=SYSTEM)
                server.tokens[role] = accounts.sessions.login(f"{role}1", PASSWORD).access_token
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 in a thread of this process; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server stopped before it started"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
