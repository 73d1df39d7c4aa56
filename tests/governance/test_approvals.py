"""Approval requests on SQLite and PostgreSQL: a held change waits, happens when approved by
someone else, never when rejected; two approvers at once (one wins), approving twice, the
requester approving, and a change that no longer applies all end in clear errors."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import (
    ApprovalRequiredError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RegistryError,
    ValidationError,
)
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from tests.governance.conftest import activate, model, policy, rule

PRODUCTION = rule("production-approval", 'target.alias == "production"', "require_approval", on=["move_alias"],
                  message="production moves need an admin's approval")


def _held(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ApprovalRequiredError) as caught:
        call(*args, **kwargs)
    assert caught.value.http_status == 202
    assert caught.value.details["rule"] == "production-approval" or caught.value.details["rule"]
    return str(caught.value.details["approval_id"])


def test_a_held_alias_move_happens_when_another_admin_approves(
    registry: EmbeddedRegistry, other: EmbeddedRegistry
) -> None:
    registry.register(model())
    activate(registry, policy(PRODUCTION))
    approval_id = _held(registry.set_alias, "model:acme/chat", "production", "1.0.0")
    assert [a.name for a in registry.aliases("model:acme/chat")] == ["latest"]
    [pending] = registry.approvals(state="pending")
    assert (pending.id, pending.state, pending.operation) == (approval_id, "pending", "move_alias")
    assert (pending.subject, pending.requested_by) == ("model:acme/chat@1.0.0", "tester")
    assert pending.request["alias"] == "production"
    assert "actor" not in pending.request
    assert pending.policy == "policy:platform/rules@1.0.0"

    with pytest.raises(ForbiddenError) as own:
        registry.approve(approval_id)
    assert own.value.code == "self_approval"
    approved = other.approve(approval_id, comment="looks good")
    assert (approved.state, approved.decided_by, approved.comment) == ("approved", "approver", "looks good")
    assert approved.result is not None
    assert approved.result["version"] == "1.0.0"
    moved = {a.name: a for a in registry.aliases("model:acme/chat")}["production"]
    assert (moved.version, moved.updated_by) == ("1.0.0", "tester")  # carried out as the requester
    with pytest.raises(ConflictError) as twice:
        other.approve(approval_id)
    assert twice.value.code == "approval_decided"
    assert registry.approvals(state="pending") == []
    types = [e.type for e in registry.events(limit=1000).items]
    assert types[-3:] == ["approval.requested", "approval.decided", "alias.moved"]
    # The approved request does not open the door for the next move: it waits again.
    registry.register(model(version="1.1.0"))
    _held(registry.set_alias, "model:acme/chat", "production", "1.1.0")


def test_a_rejected_request_never_happens(registry: EmbeddedRegistry, other: EmbeddedRegistry) -> None:
    activate(registry, policy(rule("review-prod", 'asset.namespace == "prod"', "require_approval",
                                   on=["register"])))
    approval_id = _held(registry.register, model("prod/chat"))
    with pytest.raises(NotFoundError):
        registry.get("model:prod/chat@1.0.0")
    with pytest.raises(ValidationError) as no_reason:
        other.reject(approval_id, comment=" ")
    assert no_reason.value.field == "comment"
    rejected = other.reject(approval_id, comment="not this one")
    assert (rejected.state, rejected.comment) == ("rejected", "not this one")
    with pytest.raises(ConflictError, match="already rejected"):
        other.approve(approval_id)
    with pytest.raises(NotFoundError):
        registry.get("model:prod/chat@1.0.0")
    # Held again, then approved: the version is registered by its requester.
    second = _held(registry.register, model("prod/chat"))
    registered = other.approve(second).result
    assert registered is not None
    assert registered["created_by"] == "tester"
    assert registry.get("model:prod/chat@1.0.0").created_by == "tester"
    assert [a.state for a in registry.approvals()] == ["rejected", "approved"]
    with pytest.raises(NotFoundError) as missing:
        other.approve("01J00000000000000000000000")
    assert missing.value.code == "approval_not_found"


def test_an_approval_for_a_change_that_no_longer_applies_fails_cleanly(
    registry: EmbeddedRegistry, other: EmbeddedRegistry
) -> None:
    registry.register(model())
    activate(registry, policy(PRODUCTION))
    approval_id = _held(registry.set_alias, "model:acme/chat", "production", "1.0.0")
    registry.yank("model:acme/chat@1.0.0", reason="broken")
    with pytest.raises(ConflictError) as caught:
        other.approve(approval_id)
    assert caught.value.code == "approval_not_applicable"
    assert caught.value.details["cause"]["code"] == "invalid_status_change"
    failed = registry.approval(approval_id)
    assert failed.state == "failed"
    assert failed.failure is not None
    assert "invalid_status_change" in failed.failure
    assert "production" not in [a.name for a in registry.aliases("model:acme/chat")]
    assert "approval.failed" in [e.type for e in registry.events(limit=1000).items]
    with pytest.raises(ConflictError) as again:
        other.approve(approval_id)
    assert again.value.code == "approval_decided"


def test_two_approvers_at_once_one_wins(registry: EmbeddedRegistry, location: str) -> None:
    registry.register(model())
    activate(registry, policy(PRODUCTION))
    approval_id = _held(registry.set_alias, "model:acme/chat", "production", "1.0.0")
    approvers = [Registry.open(location, settings=Settings(), actor=f"approver{n}") for n in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(approver: Any) -> None:
        start.wait()
        try:
            outcomes.append(approver.approve(approval_id).state)
        except RegistryError as error:
            outcomes.append(error.code)

    try:
        threads = [threading.Thread(target=decide, args=(a,)) for a in approvers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for approver in approvers:
            approver.close()
    assert sorted(outcomes) == ["approval_decided", "approved"]
    decided = registry.approval(approval_id)
    assert decided.decided_by in ("approver0", "approver1")
    assert [e.type for e in registry.events(limit=1000).items].count("approval.decided") == 1
    assert [e.type for e in registry.events(limit=1000).items].count("alias.moved") == 2  # active, production


def test_a_batch_cannot_wait_for_an_approval(registry: EmbeddedRegistry) -> None:
    activate(registry, policy(rule("review-prod", 'asset.namespace == "prod"', "require_approval",
                                   on=["register"])))
    result = registry.register_many([model("dev/chat"), model("prod/chat")], continue_on_error=True)
    assert [i.status for i in result.items] == ["created", "failed"]
    assert result.items[1].error is not None
    assert result.items[1].error["code"] == "approval_required"
    assert registry.approvals() == []  # nothing waits: register it alone to ask


def test_listing_validates_its_state(registry: EmbeddedRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.approvals(state="waiting")
    assert caught.value.field == "state"
