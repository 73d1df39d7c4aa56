"""Policies in force over every governed operation, on SQLite and PostgreSQL: deny names the rule
and the policy and changes nothing, warn lets the change through with its message, errors in
a rule fail closed (or warn, when the policy says so), bad expressions are refused when the
policy is registered, and activating a policy that would lock admins out is refused."""

from __future__ import annotations

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import NotFoundError, PolicyDeniedError, ValidationError
from tests.governance.conftest import activate, model, policy, rule

LICENSE = rule("license-required", "!has(asset.labels.license)", on=["register", "update_labels"],
               message="every model in prod/ has a license", scope={"kinds": ["model"], "namespaces": ["prod*"]})
NAMING = rule("naming", '!asset.name.matches("^[a-z]+-[a-z0-9-]+$")', "warn", on=["register"],
              message="names follow team-purpose")


def _types(registry: EmbeddedRegistry) -> list[str]:
    return [e.type for e in registry.events(limit=1000).items]


def test_a_deny_rule_refuses_naming_rule_and_policy_and_records_it(registry: EmbeddedRegistry) -> None:
    ref = activate(registry, policy(LICENSE))
    with pytest.raises(PolicyDeniedError) as caught:
        registry.register(model("prod/chat"))
    error = caught.value
    assert (error.code, error.http_status) == ("policy_denied", 403)
    assert error.details["rule"] == "license-required"
    assert error.details["policy"] == ref == "policy:platform/rules@1.0.0"
    assert error.details["message"] == "every model in prod/ has a license"
    assert "every model in prod/ has a license (rule 'license-required' of policy:platform/rules@1.0.0)" in str(
        error.message)
    with pytest.raises(NotFoundError):
        registry.get("model:prod/chat@1.0.0")
    denied = [e for e in registry.events(limit=1000).items if e.type == "policy.denied"]
    assert len(denied) == 1
    assert denied[0].subject == "model:prod/chat@1.0.0"
    assert denied[0].payload["rule"] == "license-required"
    assert denied[0].payload["operation"] == "register"
    # Out of the rule's scope (another namespace, another kind), or with a license: allowed.
    assert registry.register(model("dev/chat")).ref == "model:dev/chat@1.0.0"
    assert registry.register({"kind": "dataset", "name": "prod/tickets", "version": "1.0.0",
                              "spec": {"format": "jsonl"}}).version == "1.0.0"
    assert registry.register(model("prod/chat", license="apache-2.0")).labels.license == "apache-2.0"


def test_a_warn_rule_lets_the_change_through_with_its_message(registry: EmbeddedRegistry) -> None:
    activate(registry, policy(NAMING))
    registered = registry.register(model("acme/chat"))
    assert registered.warnings == ["names follow team-purpose (rule 'naming' of policy:platform/rules@1.0.0)"]
    assert registry.get("model:acme/chat@1.0.0").warnings == []  # a result's, not the version's
    assert registry.register(model("acme/support-chat")).warnings == []
    events = registry.events(limit=1000).items
    registered_event = next(e for e in events if e.type == "asset.registered" and e.subject == registered.ref)
    assert registered_event.payload["policy_warnings"] == registered.warnings
    assert [e.subject for e in events if e.type == "policy.warned"] == ["model:acme/chat@1.0.0"]


def test_labels_status_aliases_and_delete_are_checked(registry: EmbeddedRegistry) -> None:
    registry.register(model("prod/chat", license="mit"))
    registry.register(model("prod/chat", "1.1.0", license="mit"))
    activate(registry, policy(
        LICENSE,
        rule("keep-prod", 'operation == "delete"', on=["delete"], scope={"namespaces": ["prod"]}),
        rule("no-yank-without-reason", 'target.status == "yanked" && target.message == null', on=["change_status"]),
        rule("canary-first", 'target.alias == "production" && asset.version != "1.0.0"', on=["move_alias"]),
    ))
    with pytest.raises(PolicyDeniedError, match="license-required"):
        registry.label("model:prod/chat@1.0.0", license="")
    assert registry.get("model:prod/chat@1.0.0").labels.license == "mit"
    assert registry.label("model:prod/chat@1.0.0", description="ok").labels.description == "ok"
    with pytest.raises(PolicyDeniedError, match="keep-prod"):
        registry.delete("model:prod/chat@1.1.0")
    with pytest.raises(PolicyDeniedError, match="no-yank-without-reason"):
        registry.yank("model:prod/chat@1.1.0")
    assert registry.get("model:prod/chat@1.1.0").status.value == "active"
    assert registry.yank("model:prod/chat@1.1.0", reason="broken").status.value == "yanked"
    registry.restore("model:prod/chat@1.1.0")
    with pytest.raises(PolicyDeniedError, match="canary-first"):
        registry.set_alias("model:prod/chat", "production", "1.1.0")
    assert registry.set_alias("model:prod/chat", "production", "1.0.0").version == "1.0.0"
    assert registry.set_alias("model:prod/chat", "canary", "1.1.0").version == "1.1.0"
    operations = [e.payload["operation"] for e in registry.events(limit=1000).items if e.type == "policy.denied"]
    assert operations == ["update_labels", "delete", "change_status", "move_alias"]


def test_bad_expressions_are_refused_when_the_policy_is_registered(registry: EmbeddedRegistry) -> None:
    with pytest.raises(ValidationError) as caught:
        registry.register(policy(rule("broken", "asset.labels.license ==")))
    assert caught.value.code == "invalid_expression"
    assert caught.value.field == "spec.rules[0].when"
    assert "line 1, column" in caught.value.message
    with pytest.raises(ValidationError, match="unknown name") as unknown:
        registry.register(policy(rule("typo", "assett.name == 'x'")))
    assert unknown.value.field == "spec.rules[0].when"
    with pytest.raises(ValidationError) as nested:
        registry.register(policy(rule("slow", "[1, 2].all(x, [3, 4].all(y, x != y))")))
    assert nested.value.code == "invalid_expression"
    with pytest.raises(ValidationError) as long:
        registry.register(policy(rule("long", " || ".join(["true"] * 600))))
    assert long.value.code == "invalid_expression"
    with pytest.raises(ValidationError) as unknown_key:
        registry.register(policy({"name": "no-on", "True": ["register"], "when": "true", "effect": "deny"}))
    assert unknown_key.value.field is not None
    assert unknown_key.value.field.startswith("spec.rules[0]")
    with pytest.raises(ValidationError) as no_when:
        registry.register(policy({"name": "empty", "effect": "deny"}))
    assert no_when.value.field == "spec.rules[0].when"
    with pytest.raises(NotFoundError):
        registry.get("policy:platform/rules@1.0.0")


def test_a_rule_that_fails_at_evaluation_fails_closed_or_warns(registry: EmbeddedRegistry) -> None:
    failing = rule("big-models", "asset.spec.parameters > 1000", on=["register"], scope={"kinds": ["model"]})
    activate(registry, policy(failing))
    with pytest.raises(PolicyDeniedError, match="could not be evaluated") as caught:
        registry.register(model("acme/chat"))
    assert caught.value.details["rule"] == "big-models"
    # Unrelated operations and kinds are not touched by the failing rule.
    assert registry.register({"kind": "dataset", "name": "acme/tickets", "version": "1.0.0",
                              "spec": {"format": "jsonl"}}).version == "1.0.0"
    activate(registry, policy(failing, version="1.1.0", on_error="warn"))
    registered = registry.register(model("acme/chat"))
    assert len(registered.warnings) == 1
    assert "could not be evaluated" in registered.warnings[0]


def test_only_the_active_version_of_a_policy_is_in_force(registry: EmbeddedRegistry) -> None:
    assert registry.policies() == []
    registry.register(policy(LICENSE))  # registered, not active: nothing enforced
    assert registry.register(model("prod/a")).version == "1.0.0"
    activate(registry, policy(LICENSE))
    [summary] = registry.policies()
    assert summary.ref == "policy:platform/rules@1.0.0"
    assert [(r.name, r.effect, r.on) for r in summary.rules] == [
        ("license-required", "deny", ["register", "update_labels"])]
    with pytest.raises(PolicyDeniedError):
        registry.register(model("prod/b"))
    activate(registry, policy(NAMING, version="2.0.0"))  # a new version replaces the rules
    assert [r.name for r in registry.policies()[0].rules] == ["naming"]
    assert registry.register(model("prod/b")).warnings
    registry.remove_alias("policy:platform/rules", "active")
    assert registry.policies() == []
    assert registry.register(model("prod/c")).warnings == []


def test_a_policy_that_would_lock_admins_out_is_refused_unless_forced(registry: EmbeddedRegistry) -> None:
    frozen = policy(rule("frozen", 'asset.kind == "policy"', on=["register", "move_alias"]), name="platform/freeze")
    registry.register(frozen)
    with pytest.raises(ValidationError) as caught:
        registry.set_alias("policy:platform/freeze", "active", "1.0.0")
    assert caught.value.code == "policy_lockout"
    assert caught.value.details["rule"] == "frozen"
    assert registry.policies() == []
    registry.set_alias("policy:platform/freeze", "active", "1.0.0", force=True)
    assert [p.ref for p in registry.policies()] == ["policy:platform/freeze@1.0.0"]
    with pytest.raises(PolicyDeniedError):
        registry.register(policy(LICENSE, name="platform/other"))
    # A rule about other kinds, or one that only warns, is no lockout.
    registry.set_alias("policy:platform/freeze", "active", "1.0.0", force=True)


def test_a_daily_quota_per_namespace_reads_stats(registry: EmbeddedRegistry) -> None:
    activate(registry, policy(rule("quota", "stats.versions_today >= 3", on=["register"],
                                   message="no more than 3 versions a day per namespace",
                                   scope={"namespaces": ["acme"]})))
    for number in range(3):
        registry.register(model("acme/chat", f"1.0.{number}"))
    with pytest.raises(PolicyDeniedError, match="no more than 3 versions a day"):
        registry.register(model("acme/chat", "1.0.3"))
    assert registry.register(model("other/chat", "1.0.3")).version == "1.0.3"  # another namespace's count
    # A batch counts its own registrations as it goes: all-or-nothing, refused at the quota.
    activate(registry, policy(rule("quota", "stats.versions_today >= 5", on=["register"],
                                   scope={"namespaces": ["batch"]}), version="1.1.0"))
    result = registry.register_many([model("batch/chat", f"2.0.{n}") for n in range(7)], continue_on_error=True)
    assert [item.status for item in result.items] == ["created"] * 5 + ["failed"] * 2
    assert result.items[5].error is not None
    assert result.items[5].error["code"] == "policy_denied"


def test_policy_test_dry_runs_each_rule(registry: EmbeddedRegistry) -> None:
    ref = registry.register(policy(LICENSE, NAMING,
                                   rule("prod-approval", 'target.alias == "production"', "require_approval",
                                        on=["move_alias"]))).ref
    tried = registry.test_policy(ref, model("prod/chat"))
    assert tried.outcome == "denied"
    assert [(r.rule, r.applies, r.matched) for r in tried.rules] == [
        ("license-required", True, True), ("naming", True, True), ("prod-approval", False, False)]
    registry.register(model("prod/support-chat", license="mit"))
    moved = registry.test_policy(ref, "model:prod/support-chat@1.0.0", operation="move_alias",
                                 target={"alias": "production"})
    assert moved.outcome == "requires_approval"
    assert registry.test_policy(ref, "model:prod/support-chat@1.0.0").outcome == "allowed"
    assert registry.test_policy(ref, model("dev/chat")).outcome == "warned"
    assert registry.policies() == []  # trying is not activating
    with pytest.raises(ValidationError) as bad:
        registry.test_policy(ref, model("prod/chat"), operation="publish")
    assert bad.value.field == "operation"
    with pytest.raises(ValidationError):
        registry.test_policy("model:prod/support-chat@1.0.0", model("prod/chat"))


def test_the_actor_and_its_grants_are_seen_by_rules(registry: EmbeddedRegistry, other: EmbeddedRegistry) -> None:
    activate(registry, policy(rule("only-tester", 'actor.name != "tester"', on=["register"],
                                   scope={"namespaces": ["team"]})))
    assert registry.register(model("team/chat")).version == "1.0.0"
    with pytest.raises(PolicyDeniedError):
        other.register(model("team/chat", "1.1.0"))
