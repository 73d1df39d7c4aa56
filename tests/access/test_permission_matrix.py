"""Every route of the OpenAPI document, for every role and anonymous: allowed exactly as declared.

A route added without an entry in ``ROUTE_PERMISSIONS`` fails here (and is refused at runtime).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from llm_registry.accounts.models import Role
from llm_registry.accounts.permissions import Scope, scope_of
from llm_registry.api.rest.security import AUTHENTICATED, PUBLIC, ROUTE_PERMISSIONS
from tests.access.rest import ROLES, running

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

# Existing resources, all created by admin1 (so a `user`'s own-only permissions do not apply).
PATH_VALUES = {"kinds": "models", "namespace": "acme", "name": "base", "version": "1.0.0", "alias": "prod",
               "username": "nobody", "key_id": "01J00000000000000000000000"}
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
