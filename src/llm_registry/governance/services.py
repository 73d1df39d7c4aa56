"""Policies as users read and try them: the ones in force, and a dry run of one policy over a
document or a registered version (``policy test``), which changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from llm_registry.domain.access import Actor
from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError
from llm_registry.governance.gate import Change, asset_view
from llm_registry.governance.policies import Operation, Policy, Rule, compile_policy, evaluate, fields_of

if TYPE_CHECKING:
    from llm_registry.assets.context import AssetContext
    from llm_registry.assets.reads import CatalogService
    from llm_registry.assets.registration import RegistrationService
    from llm_registry.governance.gate import PolicyGate


class RuleSummary(BaseModel):
    name: str
    on: list[str]
    effect: str
    message: str
    when: str
    kinds: list[str]
    namespaces: list[str]


class PolicySummary(BaseModel):
    """A policy in force: its version's reference and rules."""

    ref: str
    fail_closed: bool
    rules: list[RuleSummary]


class RuleOutcome(BaseModel):
    """What one rule says of the tried change: ``applies`` false when its operations, kinds or
    namespaces leave the change out; ``matched`` when its expression held (its effect applies)."""

    rule: str
    effect: str
    applies: bool
    matched: bool
    message: str
    error: str | None = None


class PolicyTest(BaseModel):
    policy: str
    operation: str
    subject: str
    outcome: str  # allowed | warned | denied | requires_approval
    rules: list[RuleOutcome]


def _summary(policy: Policy) -> PolicySummary:
    return PolicySummary(ref=policy.ref, fail_closed=policy.fail_closed, rules=[_rule(r) for r in policy.rules])


def _rule(rule: Rule) -> RuleSummary:
    return RuleSummary(
        name=rule.name, on=sorted(o.value for o in rule.operations), effect=rule.effect.value, message=rule.message,
        when=rule.expression.source, kinds=sorted(k.value for k in rule.scope.kinds),
        namespaces=list(rule.scope.namespaces),
    )


class PolicyService:
    """Reads the policies in force and dry-runs one; raises the errors of ``llm_registry.errors``."""

    def __init__(
        self, context: AssetContext, gate: PolicyGate, catalog: CatalogService, registration: RegistrationService
    ) -> None:
        self.context = context
        self.gate = gate
        self.catalog = catalog
        self.registration = registration

    def _require(self, actor: Actor) -> None:
        if self.context.authorizer is not None:
            self.context.authorizer.require(actor, "policies:read")

    def active(self, *, actor: Actor) -> list[PolicySummary]:
        """The policies in force (each policy asset's ``active`` version), by reference."""
        self._require(actor)
        with self.context.store.write() as tx:  # the gate reads on a writer's connection
            return [_summary(p) for p in self.gate.policies(tx)]

    def test(
        self,
        policy_ref: str,
        subject: str | Mapping[str, Any],
        *,
        operation: str = "register",
        target: Mapping[str, Any] | None = None,
        actor: Actor,
    ) -> PolicyTest:
        """Each rule's outcome for ``operation`` of ``subject`` (a document, or a reference to a
        registered version), as if the policy were in force; changes nothing."""
        self._require(actor)
        try:
            op = Operation(operation)
        except ValueError:
            raise ValidationError(
                f"operation must be one of {', '.join(o.value for o in Operation)}",
                code="invalid_parameter", field="operation",
            ) from None
        policy_document = self.catalog.get(self.context.parse_reference(policy_ref, field="policy", kind=Kind.POLICY))
        if policy_document.kind is not Kind.POLICY:
            raise ValidationError(f"{policy_document.ref} is not a policy", code="invalid_reference", field="policy")
        policy = compile_policy(policy_document.spec, policy_document.ref)
        if isinstance(subject, str):
            document = self.catalog.get(self.context.parse_reference(subject, field="subject"))
            namespace, name = document.name.split("/", 1)
            asset = asset_view(
                kind=document.kind, namespace=namespace, name=name, version=document.version, spec=document.spec,
                labels=document.labels.model_dump(mode="json"), status=document.status.value,
                content=document.content.model_dump(mode="json") if document.content else None,
                dependencies=[d.model_dump(mode="json") for d in document.dependencies],
                created_by=document.created_by, digest=document.digest,
            )
            change = Change(op, document.kind, namespace, document.ref, asset, dict(target or {}), document.id)
        else:
            from llm_registry.assets.registration import registration_change

            prepared = self.registration.prepare(subject)
            namespace, _ = prepared.name
            change = registration_change(prepared)
            change.operation, change.target = op, dict(target or {})
        # The context a check of the change would give the policy's rules (changing nothing).
        with self.context.store.write() as tx:
            context = self.gate.context(tx, change, actor, fields_of([policy]))
        outcomes = {o.rule: o for o in evaluate([policy], op, change.kind, namespace, context)}
        rules = []
        for rule in policy.rules:
            found = outcomes.get(rule.name)
            if found is None:
                rules.append(RuleOutcome(rule=rule.name, effect=rule.effect.value, applies=False, matched=False,
                                         message=rule.message))
            else:
                rules.append(RuleOutcome(rule=rule.name, effect=found.effect.value, applies=True,
                                         matched=found.matched, message=found.message, error=found.error))
        matched = {r.effect for r in rules if r.matched}
        outcome = (
            "denied" if "deny" in matched else "requires_approval" if "require_approval" in matched
            else "warned" if "warn" in matched else "allowed"
        )
        return PolicyTest(policy=policy.ref, operation=op.value, subject=change.subject, outcome=outcome, rules=rules)
