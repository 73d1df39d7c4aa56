"""The policy gate: every register, label update, status change, alias move and deletion is
asked about here, inside the change's own transaction, against the policies in force (the
versions of ``policy`` assets their ``active`` alias points at).

A matched ``deny`` raises PolicyDeniedError; a matched ``require_approval`` (and no deny)
raises ApprovalRequiredError; matched ``warn`` rules are returned, for the change's result and
its event. A refusal rolls the change back, so what it leaves (the ``policy.denied`` event, the
approval request and its ``approval.requested`` event) is written after, in a transaction of
its own, by ``recorded``. Compiled policies are cached by version; the policies in force are
read once per transaction (a batch reads them once).
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from llm_registry.domain.access import Actor, Role
from llm_registry.domain.ids import new_id
from llm_registry.domain.kinds import Kind
from llm_registry.domain.times import Clock, format_epoch, system_clock
from llm_registry.errors import ApprovalRequiredError, PolicyDeniedError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.governance import store_sql
from llm_registry.governance.evaluation_store import evaluations_of
from llm_registry.governance.policies import (
    ACTIVE_ALIAS,
    Effect,
    Operation,
    Outcome,
    Policy,
    compile_policy,
    evaluate,
    fields_of,
)

if TYPE_CHECKING:
    from llm_registry.assets.interfaces import AssetStore, AssetWriter

_CACHE_SIZE = 256


@dataclass(slots=True)
class Change:
    """One change as the rules see it. ``asset`` is the version as it will stand (a callable
    is called only when a rule reads it); ``request`` is what replaying the change needs, for
    an approval."""

    operation: Operation
    kind: Kind
    namespace: str
    subject: str
    asset: dict[str, Any] | Callable[[], dict[str, Any]]
    target: dict[str, Any] = field(default_factory=dict)
    version_id: str | None = None
    request: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)


def warning_texts(outcomes: list[Outcome]) -> list[str]:
    """Warnings as a change's result lists them."""
    return [f"{o.message} (rule {o.rule!r} of {o.policy})" for o in outcomes]


def asset_view(
    *, kind: Kind | str, namespace: str, name: str, version: str, spec: Mapping[str, Any],
    labels: Mapping[str, Any], status: str, content: Any, dependencies: Any, created_by: str | None, digest: str | None,
) -> dict[str, Any]:
    """``asset`` in a rule: the version document, with ``name`` the asset's own name,
    ``namespace`` beside it, and labels that are not set left out (so ``has()`` tells)."""
    kind_value = kind.value if isinstance(kind, Kind) else kind
    out: dict[str, Any] = {
        "kind": kind_value, "namespace": namespace, "name": name, "full_name": f"{namespace}/{name}",
        "ref": f"{kind_value}:{namespace}/{name}@{version}", "version": version, "spec": dict(spec),
        "labels": {k: v for k, v in labels.items() if v is not None}, "status": status,
        "dependencies": list(dependencies or []),
    }
    if content is not None:
        out["content"] = content
    if created_by is not None:
        out["created_by"] = created_by
    if digest is not None:
        out["digest"] = digest
    return out


def actor_view(actor: Actor, grants: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": actor.name, "username": actor.username, "role": actor.role.value,
        "api_key": actor.api_key_id is not None, "grants": grants or [],
    }


class PolicyGate:
    """See the module."""

    def __init__(self, store: AssetStore, *, clock: Clock = system_clock, alias: str = ACTIVE_ALIAS) -> None:
        self.store = store
        self.clock = clock
        self.alias = alias
        self._compiled: dict[tuple[str, str], Policy] = {}
        self._fields: dict[tuple[str, ...], dict[str, frozenset[str] | None]] = {}
        self._in_force: weakref.WeakKeyDictionary[Any, list[Policy]] = weakref.WeakKeyDictionary()
        self._pending_counts: weakref.WeakKeyDictionary[Any, Counter[tuple[str, str]]] = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------ policies
    def policies(self, tx: AssetWriter) -> list[Policy]:
        """The policies in force, as ``tx`` sees them (read once per transaction)."""
        found = self._in_force.get(tx)
        if found is None:
            connection = _connection(tx)
            found = [self._compile(connection, p) for p in store_sql.active_policies(connection, self.alias)]
            self._in_force[tx] = found
        return found

    def _compile(self, connection: Any, active: store_sql.ActivePolicy) -> Policy:
        key = (active.version_id, active.digest)
        policy = self._compiled.get(key)
        if policy is None:
            policy = compile_policy(store_sql.policy_spec(connection, active.version_id), active.ref)
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[key] = policy
        return policy

    # --------------------------------------------------------------- check
    def check(
        self, tx: AssetWriter, change: Change, actor: Actor, *, approval: str | None = None, batched: bool = False,
        force: bool = False,
    ) -> list[Outcome]:
        """The matched ``warn`` outcomes of ``change``; raises PolicyDeniedError or
        ApprovalRequiredError (see the module). ``approval`` names the approved request this
        change replays: ``require_approval`` rules are then satisfied. ``batched``: part of a
        batch, where a change that needs an approval fails instead (it cannot wait alone)."""
        if change.operation is Operation.MOVE_ALIAS and change.kind is Kind.POLICY and (
            change.target.get("alias") == self.alias
        ) and not force:
            self._refuse_lockout(change)
        policies = self.policies(tx)
        if not policies:
            return []
        applicable = [
            p for p in policies if any(r.applies(change.operation, change.kind, change.namespace) for r in p.rules)
        ]
        if not applicable:
            return []
        key = tuple(p.ref for p in applicable)
        fields = self._fields.get(key)
        if fields is None:
            if len(self._fields) >= _CACHE_SIZE:
                self._fields.clear()
            fields = self._fields[key] = fields_of(applicable)
        context = self.context(tx, change, actor, fields)
        outcomes = evaluate(applicable, change.operation, change.kind, change.namespace, context, matched_only=True)
        denied = [o for o in outcomes if o.effect is Effect.DENY]
        if denied:
            raise self._denied(change, actor, denied)
        held = [o for o in outcomes if o.effect is Effect.REQUIRE_APPROVAL]
        if held and approval is None:
            first = held[0]
            if batched:
                raise ApprovalRequiredError(
                    f"{first.message} (rule {first.rule!r} of {first.policy} requires an approval; register this "
                    "document on its own to request one)", details={"policy": first.policy, "rule": first.rule},
                )
            error = ApprovalRequiredError(
                f"{change.subject}: {first.message} (rule {first.rule!r} of {first.policy}); an approval was requested",
                details={"policy": first.policy, "rule": first.rule, "message": first.message,
                         "approval_id": new_id()},
            )
            error.__dict__["pending"] = (change, actor, held)
            raise error
        return [o for o in outcomes if o.effect is Effect.WARN]

    def context(
        self, tx: AssetWriter, change: Change, actor: Actor, names: Mapping[str, frozenset[str] | None]
    ) -> dict[str, Any]:
        """What the rules read: only the variables they name, and of ``asset``, ``actor`` and
        ``target`` only the fields they select (each value converted to CEL costs ~1-2 us)."""
        context: dict[str, Any] = {"operation": change.operation.value, "target": _only(change.target, names, "target")}
        if "asset" in names:
            context["asset"] = _only(change.asset() if callable(change.asset) else change.asset, names, "asset")
        if "actor" in names:
            wanted = names["actor"]
            grants = (
                store_sql.granted_namespaces(_connection(tx), actor.username)
                if wanted is None or "grants" in wanted else []
            )
            context["actor"] = _only(actor_view(actor, grants), names, "actor")
        if "evaluations" in names:
            context["evaluations"] = (
                evaluations_of(_connection(tx), change.version_id) if change.version_id is not None else []
            )
        if "stats" in names:
            context["stats"] = {"versions_today": self.registrations_today(tx, change.namespace)}
        if "now" in names:
            context["now"] = datetime.fromtimestamp(self.clock(), UTC)
        return context

    def _denied(self, change: Change, actor: Actor, denied: list[Outcome]) -> PolicyDeniedError:
        first = denied[0]
        error = PolicyDeniedError(
            f"{change.subject}: {first.message} (rule {first.rule!r} of {first.policy})",
            details={"policy": first.policy, "rule": first.rule, "message": first.message,
                     "denials": [o.to_dict() for o in denied]},
        )
        error.__dict__["pending"] = (change, actor, denied)
        return error

    def _refuse_lockout(self, change: Change) -> None:
        """Refuse activating a policy whose rules would deny an admin activating or registering
        policies (nobody could then change policy again)."""
        asset = change.asset() if callable(change.asset) else change.asset
        policy = compile_policy(asset["spec"], asset["ref"])
        admin = actor_view(Actor("admin", Role.ADMIN))
        for operation in (Operation.MOVE_ALIAS, Operation.REGISTER):
            context = {
                "asset": asset, "actor": admin, "operation": operation.value,
                "target": {"alias": self.alias} if operation is Operation.MOVE_ALIAS else {},
                "evaluations": [], "stats": {"versions_today": 0}, "now": datetime.fromtimestamp(self.clock(), UTC),
            }
            for outcome in evaluate([policy], operation, Kind.POLICY, change.namespace, context):
                if outcome.matched and outcome.effect is Effect.DENY:
                    raise ValidationError(
                        f"activating {asset['ref']} would let rule {outcome.rule!r} deny an admin's "
                        f"{operation.value} of a policy, so no one could change policy again; activate it with "
                        "force if that is meant",
                        code="policy_lockout", field="alias", details={"rule": outcome.rule},
                    )

    # ---------------------------------------------------- registration counts
    @staticmethod
    def day(at: str) -> str:
        return at[:10]

    def registrations_today(self, tx: AssetWriter, namespace: str) -> int:
        day = format_epoch(self.clock())[:10]
        pending = self._pending_counts.get(tx)
        extra = pending[(namespace, day)] if pending else 0
        return store_sql.registrations_on(_connection(tx), namespace, day) + extra

    def registered(self, tx: AssetWriter, namespace: str, at: str, *, batched: bool = False) -> None:
        """Count a registration in ``namespace`` on the day of ``at``; a batch's are written by
        ``flush_counts``, once per namespace."""
        if batched:
            self._pending_counts.setdefault(tx, Counter())[(namespace, at[:10])] += 1
        else:
            store_sql.count_registrations(_connection(tx), namespace, at[:10])

    def flush_counts(self, tx: AssetWriter) -> None:
        pending = self._pending_counts.pop(tx, None)
        for (namespace, day), n in sorted((pending or {}).items()):
            store_sql.count_registrations(_connection(tx), namespace, day, n)

    def forget_counts(self, tx: AssetWriter) -> None:
        self._pending_counts.pop(tx, None)

    # ----------------------------------------------------------- recording
    @contextmanager
    def recorded(self) -> Iterator[None]:
        """Around a change's transaction: a refusal's event, or an approval request, is written
        once the change rolled back."""
        try:
            yield
        except (PolicyDeniedError, ApprovalRequiredError) as error:
            pending = error.__dict__.pop("pending", None)
            if pending is not None:
                self._record(error, *pending)
            raise

    def _record(self, error: PolicyDeniedError | ApprovalRequiredError, change: Change, actor: Actor,
                outcomes: list[Outcome]) -> None:
        now = format_epoch(self.clock())
        asset = change.subject.split("@", 1)[0]
        with self.store.write() as tx:
            if isinstance(error, PolicyDeniedError):
                tx.append_event(
                    type=EventType.POLICY_DENIED, subject=change.subject, asset=asset, actor=actor.name, at=now,
                    payload={"operation": change.operation.value, "target": change.target,
                             "policy": outcomes[0].policy, "rule": outcomes[0].rule, "message": outcomes[0].message,
                             "denials": [o.to_dict() for o in outcomes]},
                )
                return
            first = outcomes[0]
            approval_id = str(error.details["approval_id"])
            replay = change.request() if callable(change.request) else change.request
            request = {**replay, "actor": {"username": actor.username, "role": actor.role.value,
                                                   "api_key_id": actor.api_key_id}}
            store_sql.insert_approval(_connection(tx), store_sql.ApprovalRow(
                id=approval_id, state="pending", operation=change.operation.value, subject=change.subject,
                namespace=change.namespace, request=request, policy=first.policy, rule=first.rule,
                message=first.message, requested_by=actor.name, requested_at=now,
            ))
            tx.append_event(
                type=EventType.APPROVAL_REQUESTED, subject=change.subject, asset=asset, actor=actor.name, at=now,
                payload={"approval_id": approval_id, "operation": change.operation.value, "target": change.target,
                         "policy": first.policy, "rule": first.rule, "message": first.message},
            )

    def warned(self, tx: AssetWriter, change: Change, actor: Actor, warnings: list[Outcome], at: str) -> None:
        """The ``policy.warned`` event of a change that went through with warnings."""
        if warnings:
            tx.append_event(
                type=EventType.POLICY_WARNED, subject=change.subject, asset=change.subject.split("@", 1)[0],
                actor=actor.name, at=at,
                payload={"operation": change.operation.value, "warnings": [o.to_dict() for o in warnings]},
            )


def _only(value: dict[str, Any], names: Mapping[str, frozenset[str] | None], name: str) -> dict[str, Any]:
    """``value`` with only the fields the rules select of variable ``name``."""
    fields = names.get(name)
    if fields is None:
        return value
    return {k: v for k, v in value.items() if k in fields}


def _connection(tx: AssetWriter) -> Any:
    """The SQL connection of an asset-store transaction (see the module of ``store_sql``)."""
    return tx.connection  # type: ignore[attr-defined]
