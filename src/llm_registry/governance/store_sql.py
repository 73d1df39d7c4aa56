"""Governance in SQL (SQLite and PostgreSQL alike), on the connection of an asset-store
transaction: the policies in force, registration counts, approval requests.

The asset store's transactions (and their batch writer) carry their ``connection``; these
functions run on it, so what they read and write commits or rolls back with the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from llm_registry.accounts.schema import namespace_grants
from llm_registry.governance.schema import approvals, registration_counts
from llm_registry.storage.compiled import CompiledStatement
from llm_registry.storage.schema import aliases, assets, versions

_COUNT = sa.text(
    "INSERT INTO registration_counts (namespace, day, registrations) VALUES (:namespace, :day, :n) "
    "ON CONFLICT (namespace, day) DO UPDATE SET registrations = registration_counts.registrations + :n"
)


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """A policy version an ``active`` alias points at (its spec is read by ``policy_spec`` when
    the version is not compiled yet)."""

    version_id: str
    digest: str
    ref: str


@dataclass(slots=True)
class ApprovalRow:
    id: str
    state: str
    operation: str
    subject: str
    namespace: str
    request: dict[str, Any]
    policy: str
    rule: str
    message: str
    requested_by: str
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None
    failure: str | None = None


class _Statements:
    """What every change runs, compiled once per dialect (``storage.compiled``)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        in_force = (
            sa.select(versions.c.id, versions.c.digest, assets.c.namespace, assets.c.name, versions.c.version)
            .select_from(aliases.join(versions, versions.c.id == aliases.c.version_id)
                         .join(assets, assets.c.id == aliases.c.asset_id))
            .where(aliases.c.name == sa.bindparam("alias"), assets.c.kind == "policy")
            .order_by(assets.c.namespace, assets.c.name)
        )
        self.active_policies = CompiledStatement(in_force, dialect)
        self.spec = CompiledStatement(
            sa.select(versions.c.spec).where(versions.c.id == sa.bindparam("version_id")), dialect
        )
        self.grants = CompiledStatement(
            sa.select(namespace_grants.c.namespace)
            .where(namespace_grants.c.username == sa.bindparam("username"))
            .order_by(namespace_grants.c.namespace),
            dialect,
        )
        self.count = CompiledStatement(_COUNT, dialect)
        self.registrations_on = CompiledStatement(
            sa.select(registration_counts.c.registrations).where(
                registration_counts.c.namespace == sa.bindparam("namespace"),
                registration_counts.c.day == sa.bindparam("day"),
            ),
            dialect,
        )


_COMPILED: dict[str, _Statements] = {}


def _sql(connection: sa.Connection) -> _Statements:
    dialect = connection.dialect
    found = _COMPILED.get(dialect.name)
    if found is None:
        found = _COMPILED[dialect.name] = _Statements(dialect)
    return found


def active_policies(connection: sa.Connection, alias: str) -> list[ActivePolicy]:
    """Every policy version that ``alias`` points at, by reference."""
    return [
        ActivePolicy(id_, digest, f"policy:{namespace}/{name}@{version}")
        for id_, digest, namespace, name, version in _sql(connection).active_policies.fetch(
            connection, {"alias": alias}
        )
    ]


def policy_spec(connection: sa.Connection, version_id: str) -> dict[str, Any]:
    """The spec of a policy version."""
    return _json(_sql(connection).spec.fetch(connection, {"version_id": version_id})[0][0])


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import orjson

        loaded: dict[str, Any] = orjson.loads(value)
        return loaded
    return dict(value)


def registrations_on(connection: sa.Connection, namespace: str, day: str) -> int:
    rows = _sql(connection).registrations_on.fetch(connection, {"namespace": namespace, "day": day})
    return int(rows[0][0]) if rows else 0


def count_registrations(connection: sa.Connection, namespace: str, day: str, n: int = 1) -> None:
    _sql(connection).count.execute(connection, {"namespace": namespace, "day": day, "n": n})


def granted_namespaces(connection: sa.Connection, username: str) -> list[str]:
    """The namespaces granted to ``username``, by name."""
    return [row[0] for row in _sql(connection).grants.fetch(connection, {"username": username})]


# ----------------------------------------------------------------- approvals
def insert_approval(connection: sa.Connection, row: ApprovalRow) -> None:
    connection.execute(approvals.insert().values(**{name: getattr(row, name) for name in row.__slots__}))


def find_approval(connection: sa.Connection, approval_id: str) -> ApprovalRow | None:
    row = connection.execute(sa.select(approvals).where(approvals.c.id == approval_id)).first()
    return _approval(row) if row is not None else None


def _approval(row: Any) -> ApprovalRow:
    m = row._mapping
    values = {c.name: m[c.name] for c in approvals.c}
    values["request"] = _json(values["request"])
    return ApprovalRow(**values)


def list_approvals(
    connection: sa.Connection, *, state: str | None, requested_by: str | None, after: str | None, limit: int
) -> list[ApprovalRow]:
    """Approvals by id (oldest first), after the id ``after``."""
    query = sa.select(approvals).order_by(approvals.c.id).limit(limit)
    if state is not None:
        query = query.where(approvals.c.state == state)
    if requested_by is not None:
        query = query.where(approvals.c.requested_by == requested_by)
    if after is not None:
        query = query.where(approvals.c.id > after)
    return [_approval(r) for r in connection.execute(query)]


def decide_approval(
    connection: sa.Connection, approval_id: str, *, state: str, by: str, at: str, comment: str | None
) -> bool:
    """Move a pending request to ``state``; False when it is not pending (another decided first)."""
    result = connection.execute(
        approvals.update()
        .where(approvals.c.id == approval_id, approvals.c.state == "pending")
        .values(state=state, decided_by=by, decided_at=at, comment=comment)
    )
    return result.rowcount == 1


def fail_approval(connection: sa.Connection, approval_id: str, failure: str) -> None:
    connection.execute(
        approvals.update().where(approvals.c.id == approval_id).values(state="failed", failure=failure)
    )
