"""A policy's rules as the gate applies them: parsed and compiled from a ``policy`` spec once
per policy version, matched to an operation by kind, namespace and operation, and evaluated.

A rule's ``when`` is true for the changes its effect applies to: ``deny`` refuses them,
``warn`` lets them through with its message, ``require_approval`` holds them until someone
allowed approves. A rule whose expression fails at evaluation counts as its policy's
``on_error`` says: ``deny`` (the default: a policy error never lets a change through) or
``warn``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import cel

from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError
from llm_registry.governance.expressions import EvaluationError, Expression, compile_expression, shared_context


class Operation(StrEnum):
    REGISTER = "register"
    UPDATE_LABELS = "update_labels"
    CHANGE_STATUS = "change_status"
    MOVE_ALIAS = "move_alias"
    DELETE = "delete"


class Effect(StrEnum):
    DENY = "deny"
    WARN = "warn"
    REQUIRE_APPROVAL = "require_approval"


# The alias whose version of a policy asset is in force.
ACTIVE_ALIAS = "active"


@dataclass(frozen=True, slots=True)
class Scope:
    """Kinds and namespace patterns a rule covers (empty: all)."""

    kinds: frozenset[Kind] = frozenset()
    namespaces: tuple[str, ...] = ()

    def covers(self, kind: Kind, namespace: str) -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        return not self.namespaces or any(fnmatch.fnmatchcase(namespace, p) for p in self.namespaces)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    operations: frozenset[Operation]
    expression: Expression
    effect: Effect
    message: str
    scope: Scope

    def applies(self, operation: Operation, kind: Kind, namespace: str) -> bool:
        return operation in self.operations and self.scope.covers(kind, namespace)


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of a policy asset, compiled."""

    ref: str  # ``policy:ns/name@version``
    rules: tuple[Rule, ...]
    fail_closed: bool = True

    @property
    def variables(self) -> frozenset[str]:
        return frozenset().union(*(r.expression.variables for r in self.rules))


def fields_of(policies: Iterable[Policy]) -> dict[str, frozenset[str] | None]:
    """Per context variable the rules of ``policies`` read, the fields they read (None: all)."""
    union: dict[str, set[str] | None] = {}
    for policy in policies:
        for rule in policy.rules:
            for name, fields in rule.expression.fields.items():
                if fields is None:
                    union[name] = None
                elif union.get(name, set()) is not None:
                    union.setdefault(name, set()).update(fields)  # type: ignore[union-attr]
    return {name: None if f is None else frozenset(f) for name, f in union.items()}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one rule said of one change."""

    policy: str
    rule: str
    effect: Effect
    message: str
    matched: bool  # the expression was true (or failed, and counts as matched)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"policy": self.policy, "rule": self.rule, "effect": self.effect.value, "message": self.message,
               "matched": self.matched}
        if self.error is not None:
            out["error"] = self.error
        return out


def compile_policy(spec: Mapping[str, Any], ref: str = "") -> Policy:
    """The policy of a spec that fits the policy schema; raises ValidationError
    (``invalid_expression``) naming the rule's field."""
    default_scope = _scope(spec.get("scope"))
    rules = []
    names: set[str] = set()
    for i, raw in enumerate(spec["rules"]):
        name = raw["name"]
        if name in names:
            field = f"spec.rules[{i}].name"
            raise ValidationError(f"{field}: two rules are named {name!r}", code="invalid_spec", field=field)
        names.add(name)
        key = "when" if "when" in raw else "expression"  # ``expression``: the field's former name
        if key not in raw:
            field = f"spec.rules[{i}].when"
            raise ValidationError(f"{field}: 'when' is a required property", code="invalid_spec", field=field)
        expression = compile_expression(raw[key], field=f"spec.rules[{i}].{key}")
        scope_spec = raw.get("scope", raw.get("applies_to"))
        effect = Effect(raw["effect"])
        rules.append(Rule(
            name=name,
            operations=frozenset(Operation(o) for o in raw.get("on") or Operation),
            expression=expression,
            effect=effect,
            message=raw.get("message") or f"rule {name!r} ({effect.value})",
            scope=_scope(scope_spec) if scope_spec is not None else default_scope,
        ))
    return Policy(ref=ref, rules=tuple(rules), fail_closed=spec.get("on_error", "deny") == "deny")


def _scope(raw: Mapping[str, Any] | None) -> Scope:
    if not raw:
        return Scope()
    kinds = frozenset(Kind(k) for k in raw.get("kinds") or ())
    return Scope(kinds=kinds, namespaces=tuple(raw.get("namespaces") or ()))


def evaluate(
    policies: Iterable[Policy], operation: Operation, kind: Kind, namespace: str, context: Mapping[str, Any],
    *, matched_only: bool = False,
) -> list[Outcome]:
    """Every applicable rule's outcome, in policy and rule order (``matched_only``: only those
    whose effect applies)."""
    outcomes = []
    # The context converted to CEL once, for every rule (converting is most of the cost).
    shared: dict[str, Any] | cel.Context | None = None
    for policy in policies:
        for rule in policy.rules:
            if not rule.applies(operation, kind, namespace):
                continue
            if shared is None:
                try:
                    shared = shared_context(context)
                except EvaluationError:
                    shared = dict(context)  # each rule then reports the value it cannot read
            assert shared is not None
            try:
                matched = rule.expression.evaluate(shared)
            except EvaluationError as error:
                outcomes.append(Outcome(
                    policy.ref, rule.name, _on_error(rule.effect, policy.fail_closed),
                    f"rule {rule.name!r} of {policy.ref} could not be evaluated: {error}", True, str(error),
                ))
                continue
            if matched or not matched_only:
                outcomes.append(Outcome(policy.ref, rule.name, rule.effect, rule.message, matched))
    return outcomes


def _on_error(effect: Effect, fail_closed: bool) -> Effect:
    """A rule that failed: a ``warn`` rule warns; any other refuses (fail closed) or warns."""
    if effect is Effect.WARN or not fail_closed:
        return Effect.WARN
    return Effect.DENY
