"""Policies and approvals over HTTP on a server with accounts: 403 ``policy_denied`` and 202
``approval_required`` problems naming rule and policy, who may read policies and decide
approvals, a requester's own view, and the remote client's errors."""

from __future__ import annotations

from typing import Any

import pytest

from llm_registry.errors import ApprovalRequiredError, PolicyDeniedError
from tests.access.rest import running
from tests.api.conftest import problem
from tests.governance.conftest import model, policy, rule

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RULES = policy(
    rule("license-required", "!has(asset.labels.license)", on=["register"], scope={"namespaces": ["prod"]},
         message="every model in prod/ has a license"),
    rule("production-approval", 'target.alias == "production"', "require_approval", on=["move_alias"],
         message="production moves need an admin's approval"),
)


def _activate(c: Any, admin: dict[str, str]) -> None:
    assert c.post("/v1/policies", json=RULES, headers=admin).status_code == 201
    moved = c.put("/v1/policies/platform/rules/aliases/active", json={"version": "1.0.0"}, headers=admin)
    assert moved.status_code == 200, moved.text


def test_refusals_and_held_changes_over_http(location: str) -> None:
    with running(location) as server:
        c, admin, developer = server.client, server.headers("admin"), server.headers("developer")
        _activate(c, admin)
        denied = problem(c.post("/v1/models", json=model("prod/chat"), headers=developer), 403, "policy_denied")
        assert denied["details"]["rule"] == "license-required"
        assert denied["details"]["policy"] == "policy:platform/rules@1.0.0"
        assert denied["details"]["message"] == "every model in prod/ has a license"
        assert c.post("/v1/models", json=model("prod/chat", license="mit"), headers=developer).status_code == 201

        held = c.put("/v1/models/prod/chat/aliases/production", json={"version": "1.0.0"}, headers=developer)
        body = problem(held, 202, "approval_required")
        approval_id = body["details"]["approval_id"]
        assert held.headers["location"] == f"/v1/approvals/{approval_id}"
        assert c.get(held.headers["location"], headers=developer).json()["state"] == "pending"

        problem(c.post(f"/v1/approvals/{approval_id}/approve", json={}, headers=developer), 403, "forbidden")
        approved = c.post(f"/v1/approvals/{approval_id}/approve", json={"comment": "ok"}, headers=admin)
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "approved"
        assert approved.json()["result"]["version"] == "1.0.0"
        assert c.get("/v1/models/prod/chat/aliases/production", headers=developer).json()["version"] == "1.0.0"
        problem(c.post(f"/v1/approvals/{approval_id}/approve", json={}, headers=admin), 409, "approval_decided", "id")
        problem(c.post(f"/v1/approvals/{approval_id}/reject", json={}, headers=admin), 422, "invalid_parameter",
                "comment")
        problem(c.get("/v1/approvals/01J00000000000000000000000", headers=admin), 404, "approval_not_found", "id")
        problem(c.get("/v1/approvals", params={"state": "waiting"}, headers=admin), 422, "invalid_parameter", "state")


def test_who_sees_policies_and_approvals(location: str) -> None:
    with running(location) as server:
        c, admin = server.client, server.headers("admin")
        _activate(c, admin)
        for who in ("user", "developer"):
            assert c.post("/v1/models", json=model(f"acme/{who}"), headers=server.headers(who)).status_code == 201
            held = c.put(f"/v1/models/acme/{who}/aliases/production", json={"version": "1.0.0"},
                         headers=server.headers(who))
            assert held.status_code == 202
        # policies:read: developer and admin; a user sees only its own requests.
        active = c.get("/v1/governance/policies", headers=server.headers("developer")).json()["items"]
        assert [p["ref"] for p in active] == ["policy:platform/rules@1.0.0"]
        problem(c.get("/v1/governance/policies", headers=server.headers("user")), 403, "forbidden")
        mine = c.get("/v1/approvals", headers=server.headers("user")).json()["items"]
        assert [a["requested_by"] for a in mine] == ["user1"]
        everyone = c.get("/v1/approvals", params={"state": "pending"}, headers=server.headers("developer")).json()
        assert sorted(a["requested_by"] for a in everyone["items"]) == ["developer1", "user1"]
        others = next(a["id"] for a in everyone["items"] if a["requested_by"] == "developer1")
        problem(c.get(f"/v1/approvals/{others}", headers=server.headers("user")), 404, "approval_not_found", "id")
        problem(c.get("/v1/approvals", headers=server.headers(None)), 401, "unauthenticated")

        tried = c.post("/v1/governance/test", json={"policy": "policy:platform/rules@1.0.0",
                                                   "subject": model("prod/x"), "operation": "register"},
                       headers=server.headers("developer"))
        assert tried.status_code == 200, tried.text
        assert tried.json()["outcome"] == "denied"
        problem(c.post("/v1/governance/test", json={"policy": "policy:platform/rules@1.0.0", "subject": "x",
                                                  "operation": "publish"}, headers=admin), 422, "invalid_parameter",
                "operation")


def test_the_remote_client_raises_the_same_errors(location: str) -> None:
    with running(location) as server:
        c, admin = server.client, server.headers("admin")
        _activate(c, admin)
        with server.remote(server.tokens["developer"]) as remote:
            with pytest.raises(PolicyDeniedError) as denied:
                remote.register(model("prod/chat"))
            assert denied.value.details["rule"] == "license-required"
            remote.register(model("prod/chat", license="mit"))
            with pytest.raises(ApprovalRequiredError) as held:
                remote.set_alias("model:prod/chat", "production", "1.0.0")
            approval_id = held.value.details["approval_id"]
            assert [a.id for a in remote.approvals(state="pending")] == [approval_id]
            assert remote.approval(approval_id).operation == "move_alias"
            assert [p.ref for p in remote.policies()] == ["policy:platform/rules@1.0.0"]
            assert remote.test_policy("policy:platform/rules@1.0.0", "model:prod/chat@1.0.0",
                                      operation="move_alias", target={"alias": "production"}
                                      ).outcome == "requires_approval"
        with server.remote(server.tokens["admin"]) as remote:
            assert remote.approve(approval_id, comment="ok").state == "approved"
            assert remote.aliases("model:prod/chat")[-1].name == "production"
