"""Helpers of the REST access tests: an authenticated app in process, with one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from llm_registry.accounts.services import AccountService
from llm_registry.accounts.users import SYSTEM
from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.settings import Settings
from tests.access.conftest import SECRET

PASSWORD = "correct horse battery"
ROLES = ("admin", "developer", "user", "viewer")


@dataclass
class Server:
    client: httpx.Client
    accounts: AccountService
    tokens: dict[str, str] = field(default_factory=dict)  # role -> access token

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


@contextmanager
def running(location: str, **overrides: object) -> Iterator[Server]:
    generous = ",".join(f"{role}=100000" for role in (*ROLES, "anonymous"))
    values: dict[str, object] = {"url": location, "jwt_secret": SECRET, "access_log": False, "rate_limits": generous}
    values.update(overrides)
    settings = Settings.load(values, environ={})
    app = create_app(settings)
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url="http://r.test") as client:
        server = Server(client, app.state.services.accounts)
        for role in ROLES:
            server.accounts.users.create_user(f"{role}1", PASSWORD, role, actor=SYSTEM)
            server.tokens[role] = server.accounts.sessions.login(f"{role}1", PASSWORD).access_token
        yield server
