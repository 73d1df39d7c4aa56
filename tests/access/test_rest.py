"""The REST API with authentication: sessions, keys, ownership, namespaces, limits, audit, leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.access.rest import PASSWORD, Server, running

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def model(name: str = "acme/base", version: str = "1.0.0") -> dict[str, object]:
    return {"kind": "model", "name": name, "version": version, "spec": {"architecture": "llama"}}


@pytest.fixture
def server(location: str) -> Iterator[Server]:
    with running(location) as server:
        yield server


def test_nothing_without_credentials_and_anonymous_read_is_a_setting(server: Server, location: str) -> None:
    response = server.client.get("/v1/models")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert server.client.get("/health").status_code == 200
    assert server.client.get("/v1/models", headers={"Authorization": "Basic abc"}).status_code == 401
    assert server.client.get("/v1/models", headers=server.headers("viewer")).status_code == 200


def test_anonymous_read_setting(location: str) -> None:
    with running(location, anonymous_read=True) as server:
        assert server.client.get("/v1/models").status_code == 200
        assert server.client.post("/v1/models", json=model()).status_code == 401


def test_login_refresh_logout_over_http(server: Server) -> None:
    bad = server.client.post("/v1/auth/login", json={"username": "user1", "password": "nope nope"})
    assert bad.status_code == 401
    pair = server.client.post("/v1/auth/login", json={"username": "user1", "password": PASSWORD}).json()
    assert pair["expires_in"] == 900
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert server.client.get("/v1/auth/me", headers=auth).json()["username"] == "user1"
    new = server.client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    reuse = server.client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401
    newest = {"Authorization": f"Bearer {new['access_token']}"}
    assert server.client.get("/v1/auth/me", headers=newest).status_code == 401
    pair = server.client.post("/v1/auth/login", json={"username": "user1", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert server.client.post("/v1/auth/logout", headers=auth).status_code == 204
    assert server.client.get("/v1/auth/me", headers=auth).status_code == 401


def test_ownership_and_namespace_grants(server: Server) -> None:
    c = server.client
    assert c.post("/v1/models", json=model(), headers=server.headers("user")).status_code == 201
    assert c.post("/v1/models", json=model(version="2.0.0"), headers=server.headers("developer")).status_code == 201
    patch = {"labels": {"description": "mine"}}
    mine = c.patch("/v1/models/acme/base/versions/1.0.0", json=patch, headers=server.headers("user"))
    assert mine.status_code == 200
    theirs = c.patch("/v1/models/acme/base/versions/2.0.0", json=patch, headers=server.headers("user"))
    assert theirs.status_code == 403
    assert c.post("/v1/models", json=model(), headers=server.headers("viewer")).status_code == 403
    # Once acme is granted to developer1, user1 may not write there any more.
    grant = c.put("/v1/namespace-grants/acme/developer1", headers=server.headers("admin"))
    assert grant.status_code == 200
    refused = c.post("/v1/models", json=model(version="3.0.0"), headers=server.headers("user"))
    assert refused.status_code == 403
    assert refused.json()["field"] == "namespace"
    assert c.post("/v1/models", json=model(version="3.0.0"), headers=server.headers("developer")).status_code == 201
    assert c.post("/v1/models", json=model("other/x"), headers=server.headers("user")).status_code == 201


def test_api_keys_over_http_and_revocation_is_immediate(server: Server) -> None:
    c = server.client
    created = c.post("/v1/api-keys", json={"name": "ci", "role": "viewer"}, headers=server.headers("developer"))
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith(key["prefix"])
    auth = {"Authorization": f"Bearer {key['key']}"}
    assert c.get("/v1/models", headers=auth).status_code == 200
    assert c.post("/v1/models", json=model(), headers=auth).status_code == 403  # scoped to viewer
    listed = c.get("/v1/api-keys", headers=server.headers("developer")).json()["items"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert "key" not in listed[0]
    assert c.post("/v1/api-keys", json={"name": "x", "role": "admin"},
                  headers=server.headers("developer")).status_code == 403
    assert c.post("/v1/api-keys", json={"name": "x"}, headers=server.headers("user")).status_code == 403
    every = c.get("/v1/api-keys", params={"all": "true"}, headers=server.headers("developer"))
    assert every.status_code == 403  # refused, not narrowed to the caller's own keys
    assert every.json()["code"] == "forbidden"
    assert [k["id"] for k in c.get("/v1/api-keys", params={"all": "true"},
                                    headers=server.headers("admin")).json()["items"]] == [key["id"]]
    assert c.delete(f"/v1/api-keys/{key['id']}", headers=server.headers("developer")).status_code == 200
    assert c.get("/v1/models", headers=auth).status_code == 401


def test_disabling_a_user_stops_it_at_once(server: Server) -> None:
    c = server.client
    key = c.post("/v1/api-keys", json={"name": "ci"}, headers=server.headers("developer")).json()["key"]
    assert c.patch("/v1/users/developer1", json={"disabled": True}, headers=server.headers("admin")).status_code == 200
    assert c.get("/v1/models", headers=server.headers("developer")).status_code == 401
    assert c.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_rate_limits_answer_429_with_headers(location: str) -> None:
    with running(location, rate_limits="viewer=3,anonymous=2", login_rate_limit=3) as server:
        c = server.client
        answers = [c.get("/v1/models", headers=server.headers("viewer")) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Policy"] == '"viewer";q=3;w=60'
        assert answers[0].headers["RateLimit"].startswith('"viewer";r=2;')
        assert int(answers[-1].headers["Retry-After"]) >= 1
        # The error's own Retry-After is not repeated by the rate-limit headers.
        assert len(answers[-1].headers.get_list("Retry-After")) == 1
        assert all(len(a.headers.get_list("RateLimit")) == 1 for a in answers)
        assert answers[-1].json()["code"] == "rate_limited"
        assert "RateLimit" in answers[-1].headers
        logins = [c.post("/v1/auth/login", json={"username": "admin1", "password": "wrong one"}) for _ in range(4)]
        assert [r.status_code for r in logins] == [401, 401, 401, 429]


def test_audit_filters_by_actor_and_type(server: Server) -> None:
    c = server.client
    c.post("/v1/models", json=model(), headers=server.headers("developer"))
    c.post("/v1/users", json={"username": "newbie", "password": PASSWORD, "role": "viewer"},
           headers=server.headers("admin"))
    items = c.get("/v1/audit", params={"actor": "developer1"}, headers=server.headers("admin")).json()["items"]
    assert [e["type"] for e in items] == ["asset.registered"]
    created = c.get("/v1/audit", params={"type": "user.created", "actor": "admin1"},
                    headers=server.headers("admin")).json()["items"]
    assert [e["subject"] for e in created] == ["user:newbie"]
    assert c.get("/v1/audit", headers=server.headers("developer")).status_code == 403


def test_secrets_never_reach_logs_or_later_answers(location: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with running(location, access_log=True) as server:
        c = server.client
        secret_password = "a very secret password 42"
        c.post("/v1/users", json={"username": "leaky", "password": secret_password, "role": "developer"},
               headers=server.headers("admin"))
        pair = c.post("/v1/auth/login", json={"username": "leaky", "password": secret_password}).json()
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        key = c.post("/v1/api-keys", json={"name": "k"}, headers=auth).json()["key"]
        c.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
        c.post("/v1/auth/login", json={"username": "leaky", "password": "wrong " + secret_password})
        later = [
            c.get("/v1/api-keys", headers=auth).text,
            c.get("/v1/users", headers=server.headers("admin")).text,
            c.get("/v1/audit", headers=server.headers("admin")).text,
            c.get("/v1/events", headers=server.headers("admin")).text,
        ]
    secrets = [secret_password, pair["access_token"], pair["refresh_token"], key, key.split("_", 2)[-1]]
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged
        for text in later:
            assert secret not in text
