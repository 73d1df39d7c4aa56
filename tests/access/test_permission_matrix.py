"""Every route of the OpenAPI document, for every role and anonymous: allowed exactly as declared;
and what the change feed shows each role.

A route added without an entry in ``ROUTE_PERMISSIONS`` fails here (and is refused at runtime).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llm_registry.accounts.permissions import Scope, scope_of
from llm_registry.api.rest.security import AUTHENTICATED, PUBLIC, ROUTE_PERMISSIONS
from llm_registry.cli.main import build_app as build_cli
from llm_registry.domain.access import Role
from llm_registry.errors import UnauthenticatedError
from tests.access.rest import PASSWORD, ROLES, build_app, running, serving

cli_app = build_cli()

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

# Existing resources, all created by admin1 (so a `user`'s own-only permissions do not apply).
PATH_VALUES = {"kinds": "models", "namespace": "acme", "name": "base", "version": "1.0.0", "alias": "prod",
               "username": "nobody", "key_id": "01J00000000000000000000000",
               "digest": "sha256:" + "0" * 64, "upload_id": "01J00000000000000000000000", "signer": "nobody",
               "approval_id": "01J00000000000000000000000", "evaluation_id": "01J00000000000000000000000"}
BODIES: dict[str, Any] = {
    "POST /v1/{kinds}": {"kind": "model", "name": "acme/base", "version": "1.0.0", "spec": {"architecture": "llama"}},
    "PATCH /v1/{kinds}/{namespace}/{name}/versions/{version}": {"labels": {"description": "x"}},
    "PUT /v1/{kinds}/{namespace}/{name}/aliases/{alias}": {"version": "1.0.0"},
}
# Routes that would destroy what later checks need are aimed at things that do not exist:
# allowed answers 404, denied still 401/403.
MISSING = {"DELETE /v1/{kinds}/{namespace}/{name}/versions/{version}": {"version": "9.9.9"}}
LAST = "POST /v1/auth/logout"  # ends the caller's session


def _expected(permission: str, who: str | None) -> bool:
    if permission == PUBLIC:
        return True
    if who is None:
        return False
    if permission == AUTHENTICATED:
        return True
    return scope_of(Role(who), permission) is Scope.ANY


def test_every_route_declares_a_known_permission(location: str) -> None:
    with running(location) as server:
        spec = server.client.get("/openapi.json").json()
    routes = [f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops]
    missing = [r for r in routes if r not in ROUTE_PERMISSIONS]
    assert not missing, f"routes without a declared permission: {missing}"
    for permission in set(ROUTE_PERMISSIONS.values()) - {PUBLIC, AUTHENTICATED}:
        scope_of(Role.ADMIN, permission)  # KeyError for an undeclared permission


def test_permission_matrix(location: str) -> None:
    with running(location) as server:
        c = server.client
        admin = server.headers("admin")
        assert c.post("/v1/models", json=BODIES["POST /v1/{kinds}"], headers=admin).status_code == 201
        spec = c.get("/openapi.json").json()
        routes = sorted(((m.upper(), p) for p, ops in spec["paths"].items() for m in ops),
                        key=lambda r: f"{r[0]} {r[1]}" == LAST)
        failures = []
        for who in (None, *ROLES):
            for method, template in routes:
                key = f"{method} {template}"
                values = {**PATH_VALUES, **MISSING.get(key, {})}
                path = re.sub(r"\{(\w+)\}", lambda m, v=values: v[m.group(1)], template)  # type: ignore[misc]
                response = c.request(method, path, json=BODIES.get(key, {} if method in ("POST", "PUT", "PATCH")
                                                                     else None), headers=server.headers(who))
                denied = response.status_code in (401, 403)
                if denied == _expected(ROUTE_PERMISSIONS[key], who) or (
                    who is None and response.status_code == 403
                ):
                    failures.append(f"{who or 'anonymous'} {key}: {response.status_code} {response.text[:120]}")
        assert not failures, "\n".join(failures)


ACCOUNT_AREAS = ("user", "session", "api_key", "namespace")
EVENT_READERS = ("admin", "developer", "user", "viewer", "viewer key")


def _account_types(types: list[str]) -> set[str]:
    return {t for t in types if t.partition(".")[0] in ACCOUNT_AREAS}


def test_the_change_feed_shows_account_events_only_to_auditors(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the feed says, not only whether it answers: for every role (and an API key scoped to
    viewer), the list, a long-poll after a cursor, the Python client and the CLI show account
    events (users, sessions, API keys, grants) only to those who may read the audit log."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no saved login of the developer's
    with running(location) as server:
        c = server.client
        admin = server.headers("admin")
        start = c.get("/v1/events", params={"limit": 1000}, headers=admin).json()["next_cursor"]
        for number, who in enumerate(("admin", "developer", "user"), start=1):
            model = {"kind": "model", "name": f"acme/m{number}", "version": "1.0.0", "spec": {"architecture": "llama"}}
            assert c.post("/v1/models", json=model, headers=server.headers(who)).status_code == 201
        new_user = {"username": "newbie", "password": PASSWORD, "role": "viewer"}
        assert c.post("/v1/users", json=new_user, headers=admin).status_code == 201
        viewer_key = c.post("/v1/api-keys", json={"name": "feed", "role": "viewer"},
                            headers=server.headers("developer")).json()["key"]
        assert c.put("/v1/namespace-grants/acme/developer1", headers=admin).status_code == 200
        spent = server.accounts.sessions.login("user1", PASSWORD).refresh_token
        server.accounts.sessions.refresh(spent)
        with pytest.raises(UnauthenticatedError):
            server.accounts.sessions.refresh(spent)  # reuse: session.revoked
        bearers = {**server.tokens, "viewer key": viewer_key}
        everything = {"asset.registered", "user.created", "api_key.created", "namespace.granted", "session.revoked"}

        for who in EVENT_READERS:
            auth = {"Authorization": f"Bearer {bearers[who]}"}
            listed = c.get("/v1/events", params={"limit": 1000}, headers=auth).json()["items"]
            waited = c.get("/v1/events", params={"after": start, "wait": 5, "limit": 1000}, headers=auth).json()
            with server.remote(bearers[who]) as remote:
                remote_types = [e.type for e in remote.events(limit=1000).items]
                remote_waited = [e.type for e in remote.events(after=start, wait=5, limit=1000).items]
            for reader, types in (("list", [e["type"] for e in listed]), ("wait", [e["type"] for e in waited["items"]]),
                                  ("python", remote_types), ("python wait", remote_waited)):
                if who == "admin":
                    assert set(types) >= everything, (who, reader, types)
                else:
                    assert not _account_types(types), (who, reader, types)
                    assert types.count("asset.registered") == 3, (who, reader, types)

        # A long-poll after the last cursor while only account events happen: the auditor is
        # woken by them, everyone else waits it out and is answered nothing.
        last = c.get("/v1/events", params={"after": start, "limit": 1000}, headers=admin).json()["next_cursor"]
        assert c.post("/v1/users", json={**new_user, "username": "later"}, headers=admin).status_code == 201
        for who in EVENT_READERS:
            auth = {"Authorization": f"Bearer {bearers[who]}"}
            started = time.monotonic()
            page = c.get("/v1/events", params={"after": last, "wait": 0.5}, headers=auth).json()
            waited_for = time.monotonic() - started
            if who == "admin":
                assert [e["type"] for e in page["items"]] == ["user.created"]
            else:
                assert (page["items"], page["next_cursor"]) == ([], last), who
                assert waited_for >= 0.45, who

        # The CLI, with a viewer's key, against the same registry served on a socket.
        with serving(build_app(location)) as url:
            for bearer, auditor in ((viewer_key, False), (server.tokens["admin"], True)):
                result = CliRunner().invoke(cli_app, ["events", "--json", "--limit", "1000"],
                                            env={"LLM_REGISTRY_URL": url, "LLM_REGISTRY_TOKEN": bearer})
                assert result.exit_code == 0, result.output
                types = [e["type"] for e in json.loads(result.stdout)["items"]]
                assert bool(_account_types(types)) is auditor, types
                assert types.count("asset.registered") == 3
