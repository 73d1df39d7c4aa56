"""Evaluations in SQL (SQLite and PostgreSQL alike), on the connection of an asset-store
transaction: what ``EvaluationService`` writes and lists, and what policy rules read.

Every list is newest first, by id (``EvaluationService`` makes the ids of one process increase),
read through the indexes on ``(version_id, id)`` and ``(suite_version_id, id)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from llm_registry.governance.schema import evaluations

# The most recent evaluations of a version a policy rule sees (the newest first).
GATE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    id: str
    version_id: str
    subject: str
    suite_version_id: str | None
    suite: str
    dataset_version_id: str | None
    dataset: str | None
    prompt_version_id: str | None
    prompt: str | None
    metrics: dict[str, float]
    details: dict[str, Any] | None
    created_at: str
    created_by: str


def evaluations_of(connection: sa.Connection, version_id: str, *, limit: int = GATE_LIMIT) -> list[dict[str, Any]]:
    """The version's evaluations as a policy rule reads them (``evaluations`` in CEL), newest
    first: ``{id, suite, dataset, prompt, metrics, created_by, created_at}``, each reference an
    exact one (``test_suite:acme/evals@2.1.0``); a dataset or prompt not given is absent."""
    query = (
        sa.select(
            evaluations.c.id, evaluations.c.suite, evaluations.c.dataset, evaluations.c.prompt,
            evaluations.c.metrics, evaluations.c.created_by, evaluations.c.created_at,
        )
        .where(evaluations.c.version_id == version_id)
        .order_by(evaluations.c.id.desc())
        .limit(limit)
    )
    out = []
    for row in connection.execute(query):
        item = {k: v for k, v in row._mapping.items() if v is not None}
        item["metrics"] = _json(item["metrics"])
        out.append(item)
    return out


def insert_evaluation(connection: sa.Connection, row: EvaluationRow) -> None:
    connection.execute(evaluations.insert().values(**{name: getattr(row, name) for name in row.__slots__}))


def find_evaluation(connection: sa.Connection, evaluation_id: str) -> EvaluationRow | None:
    found = connection.execute(sa.select(evaluations).where(evaluations.c.id == evaluation_id)).first()
    return _row(found._mapping) if found is not None else None


def list_evaluations(
    connection: sa.Connection, *, version_id: str | None, suite_version_ids: Sequence[str] | None,
    before: str | None, limit: int,
) -> list[EvaluationRow]:
    """Evaluations newest first, before the id ``before``: of one version (``version_id``), on
    one of ``suite_version_ids`` (empty: none), or both; None leaves a filter out."""
    if suite_version_ids is not None and not suite_version_ids:
        return []
    query = sa.select(evaluations).order_by(evaluations.c.id.desc()).limit(limit)
    if version_id is not None:
        query = query.where(evaluations.c.version_id == version_id)
    if suite_version_ids is not None:
        query = query.where(evaluations.c.suite_version_id.in_(list(suite_version_ids)))
    if before is not None:
        query = query.where(evaluations.c.id < before)
    return [_row(r._mapping) for r in connection.execute(query)]


def newest_on_suites(
    connection: sa.Connection, version_ids: Sequence[str], suite_version_ids: Sequence[str] | None
) -> dict[str, EvaluationRow]:
    """The newest evaluation of each of ``version_ids`` on one of ``suite_version_ids`` (None:
    on any suite), by version id, in one statement; a version without one is left out."""
    if not version_ids or (suite_version_ids is not None and not suite_version_ids):
        return {}
    ranked = sa.select(
        evaluations,
        sa.func.row_number().over(partition_by=evaluations.c.version_id, order_by=evaluations.c.id.desc())
        .label("rank"),
    ).where(evaluations.c.version_id.in_(list(version_ids)))
    if suite_version_ids is not None:
        ranked = ranked.where(evaluations.c.suite_version_id.in_(list(suite_version_ids)))
    inner = ranked.subquery()
    query = sa.select(*(inner.c[c.name] for c in evaluations.c)).where(inner.c.rank == 1)
    return {row.version_id: row for row in (_row(r._mapping) for r in connection.execute(query))}


def _row(mapping: Any) -> EvaluationRow:
    values = {c.name: mapping[c.name] for c in evaluations.c}
    values["metrics"] = _json(values["metrics"])
    if values["details"] is not None:
        values["details"] = _json(values["details"])
    return EvaluationRow(**values)


def _json(value: Any) -> Any:
    # A JSON column read through a subquery, or by a driver that leaves it as text.
    return orjson.loads(value) if isinstance(value, str | bytes) else value
