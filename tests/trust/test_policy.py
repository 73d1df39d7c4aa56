"""The trust policy: parsed from the setting, and applied by the gate to alias moves and pulls on
every variant (``enforce`` refuses, ``warn`` answers warnings, ``off`` asks nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_registry.domain.kinds import Kind
from llm_registry.errors import PolicyDeniedError, ValidationError
from llm_registry.integrity.trust.policy import TrustMode, TrustPolicy
from llm_registry.settings import Settings
from tests.trust.conftest import KeyPair, OpenRegistry, model_folder, register_folder, twin_of

POLICY = "model:prod/*=enforce,dataset:*=off,*=warn"


def test_the_first_matching_rule_decides() -> None:
    policy = TrustPolicy.parse(" model:prod/*=enforce , dataset:*=off,*:team-?/x*=warn ")
    assert policy.mode_for(Kind.MODEL, "prod/llama") is TrustMode.ENFORCE
    assert policy.mode_for(Kind.PROMPT, "prod/llama") is TrustMode.OFF
    assert policy.mode_for(Kind.DATASET, "team-a/xs") is TrustMode.OFF
    assert policy.mode_for(Kind.PROMPT, "team-a/xs") is TrustMode.WARN
    assert str(policy) == "model:prod/*=enforce,dataset:*=off,team-?/x*=warn"
    assert not TrustPolicy.parse("").active
    assert not TrustPolicy.parse("*=off").active


@pytest.mark.parametrize(("text", "says"), [("model:prod/*", "SCOPE=MODE"), ("*=strict", "enforce, warn or off"),
                                            ("*=strict", "the mode 'strict' is not"), ("modle:*=warn", "unknown kind"),
                                            ("prod/LLAMA=warn", "glob")])
def test_a_bad_policy_is_refused_as_a_setting(text: str, says: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(trust_policy=text)
    assert (info.value.code, info.value.field) == ("invalid_parameter", "trust_policy")
    assert says in info.value.message


def test_enforce_refuses_alias_moves_until_a_trusted_signer_signs(
    open_trust_registry: OpenRegistry, keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    registry = open_trust_registry(trust_policy=POLICY)
    ref = register_folder(registry, model_folder(tmp_path / "m"), name="prod/llama")
    with pytest.raises(PolicyDeniedError) as unsigned:
        registry.set_alias("model:prod/llama", "production", "1.0.0")
    assert unsigned.value.code == "unsigned"
    assert "model:prod/*=enforce" in unsigned.value.message
    assert "has no signature" in unsigned.value.message
    assert [a.name for a in registry.aliases("model:prod/llama")] == ["latest"]  # nothing moved

    registry.add_signer("ci", keys["ed25519"].public)
    registry.sign(ref, keys["ed25519"].private)
    moved = registry.set_alias("model:prod/llama", "production", "1.0.0")
    assert (moved.version, moved.warnings) == ("1.0.0", [])

    registry.revoke_signer("ci")
    with pytest.raises(PolicyDeniedError) as untrusted:
        registry.set_alias("model:prod/llama", "staging", "1.0.0")
    assert untrusted.value.code == "untrusted_signature"
    assert "revoked" in untrusted.value.message
    report = registry.verify(ref)
    assert [c.status.value for c in report.checks if c.check == "policy"] == ["failed"]


def test_warn_answers_warnings_and_off_asks_nothing(open_trust_registry: OpenRegistry, tmp_path: Path) -> None:
    registry = open_trust_registry(trust_policy=POLICY)
    register_folder(registry, model_folder(tmp_path / "m"), name="lab/llama")
    moved = registry.set_alias("model:lab/llama", "staging", "1.0.0")
    assert len(moved.warnings) == 1
    assert "has no signature" in moved.warnings[0]
    again = registry.set_alias("model:lab/llama", "staging", "1.0.0")  # already there: warned again
    assert again.warnings == moved.warnings
    assert registry.aliases("model:lab/llama")[1].warnings == []  # the alias itself carries none
    (event,) = registry.events(type=["alias.moved"]).items
    assert event.payload["trust_warnings"] == moved.warnings

    registry.register({"kind": "dataset", "name": "lab/tickets", "version": "1.0.0", "spec": {}})
    assert registry.set_alias("dataset:lab/tickets", "current", "1.0.0").warnings == []


def test_the_gate_answers_pulls_by_the_same_rules(open_trust_registry: OpenRegistry, keys: dict[str, KeyPair],
                                                  tmp_path: Path) -> None:
    registry = open_trust_registry(trust_policy=POLICY)
    gate = twin_of(registry).services.trust
    assert gate is not None
    enforced = registry.get(register_folder(registry, model_folder(tmp_path / "a"), name="prod/a"))
    warned = registry.get(register_folder(registry, model_folder(tmp_path / "b"), name="lab/b"))
    with pytest.raises(PolicyDeniedError) as info:
        gate.check(enforced, operation="pull")
    assert info.value.code == "unsigned"
    assert "a pull" in info.value.message
    assert info.value.details == {"rule": "model:prod/*=enforce", "operation": "pull"}
    assert "has no signature" in gate.check(warned, operation="pull")[0]
    registry.add_signer("ci", keys["p256"].public)
    registry.sign(enforced.ref, keys["p256"].private, format="model-signing")
    assert gate.check(enforced, operation="pull") == []


def test_without_a_policy_alias_moves_are_as_before(open_trust_registry: OpenRegistry, tmp_path: Path) -> None:
    registry = open_trust_registry()
    assert twin_of(registry).services.context.trust is None  # nothing asked, nothing read
    register_folder(registry, model_folder(tmp_path / "m"), name="prod/llama")
    assert registry.set_alias("model:prod/llama", "production", "1.0.0").warnings == []
    (event,) = registry.events(type=["alias.moved"]).items
    assert "trust_warnings" not in event.payload
