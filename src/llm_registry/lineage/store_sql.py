"""Lineage walks as recursive CTEs, the same SQL on SQLite and PostgreSQL.

Edges go from the dependent version (``dependencies.version_id``) to the pinned one
(``target_version_id``); both columns are indexed (the primary key, and its own index), so
every step is an index lookup. A walk visits version ids, not edges or paths: ``UNION`` (not
``UNION ALL``) keeps each version once (once per depth when the walk is depth-bounded), so
diamonds cost nothing and the walk ends on any DAG (registration refuses cycles). The edges
of the versions reached come back from the same statement.

The walk starts from the given versions themselves (one row each). PostgreSQL plans a
recursive CTE from its first term and guesses ten times that many rows per step: seeded with
a popular dataset's thousands of dependents, it would plan merge joins over the whole table
for every step (and JIT-compile them); seeded with one row, every step is an index lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.interfaces import AssetReader
from llm_registry.lineage.interfaces import EdgeRow, VersionFacts
from llm_registry.lineage.models import MISSING, Direction, LineageNode, node
from llm_registry.storage.schema import assets, versions
from llm_registry.storage.transactions import connection_of

_EDGE = "d.version_id, d.target_version_id, d.relation, d.target_asset_id, d.target_version, d.target_digest"
# Per direction: the column a step leaves from, and the column it arrives at.
_ENDS = {Direction.UP: ("version_id", "target_version_id"), Direction.DOWN: ("target_version_id", "version_id")}


def _reach_cte(name: str, direction: Direction, *, bounded: bool, filtered: bool) -> str:
    """``name(id[, depth])``: the versions reached from ``:starts``, depth 0, stopping where
    a step would reach ``:depth`` (the versions at depth - 1 still give their edges)."""
    relation = " AND d.relation IN :relations" if filtered else ""
    leave, arrive = _ENDS[direction]
    depth, seed_depth, step_depth, limit = (
        (", depth", ", 0", f", {name}.depth + 1", f" AND {name}.depth + 1 < :depth") if bounded else ("", "", "", "")
    )
    return (
        f"{name}(id{depth}) AS (SELECT v.id{seed_depth} FROM versions v WHERE v.id IN :starts "
        f"UNION SELECT d.{arrive}{step_depth} FROM {name} JOIN dependencies d ON d.{leave} = {name}.id "
        f"WHERE d.{arrive} IS NOT NULL{limit}{relation})"
    )


def _walk_sql(direction: Direction, *, bounded: bool, filtered: bool) -> str:
    relation = " AND d.relation IN :relations" if filtered else ""
    directions = [Direction.UP, Direction.DOWN] if direction is Direction.BOTH else [direction]
    ctes = [_reach_cte(f"reach_{d.value}", d, bounded=bounded, filtered=filtered) for d in directions]
    edges = " UNION ".join(
        f"SELECT {_EDGE} FROM (SELECT DISTINCT id FROM reach_{d.value}) r JOIN dependencies d ON d.{_ENDS[d][0]} = r.id"
        f"{relation}"
        for d in directions
    )
    return (
        f"WITH RECURSIVE {', '.join(ctes)}, "
        f"edges(source_id, target_id, relation, target_asset_id, target_version, target_digest) AS ({edges}) "
        "SELECT e.source_id, e.target_id, e.relation, "
        "sv.version, sv.digest, sv.status, sa.kind, sa.namespace, sa.name, "
        "tv.version, tv.digest, tv.status, ta.kind, ta.namespace, ta.name, e.target_version, e.target_digest "
        "FROM edges e "
        "JOIN versions sv ON sv.id = e.source_id JOIN assets sa ON sa.id = sv.asset_id "
        "LEFT JOIN versions tv ON tv.id = e.target_id JOIN assets ta ON ta.id = e.target_asset_id"
    )


def _impact_sql(*, filtered: bool) -> str:
    relation = " AND d.relation IN :relations" if filtered else ""
    # Only the dependents' own facts are needed: the pinned end of each edge is the root or
    # another dependent.
    return (
        f"WITH RECURSIVE {_reach_cte('reached', Direction.DOWN, bounded=False, filtered=filtered)} "
        "SELECT d.version_id, d.target_version_id, d.relation, v.version, v.digest, v.status, a.kind, a.namespace,"
        " a.name "
        f"FROM reached r JOIN dependencies d ON d.target_version_id = r.id{relation} "
        "JOIN versions v ON v.id = d.version_id JOIN assets a ON a.id = v.asset_id"
    )


class SqlLineageStore:
    """Implements LineageStore with one statement per walk, compiled once per shape, run on
    the connection of the given SQL store transaction."""

    def __init__(self) -> None:
        self._statements: dict[tuple[Direction, bool, bool], Any] = {}
        self._impact = {
            filtered: sa.text(_impact_sql(filtered=filtered)).bindparams(
                *[sa.bindparam(name, expanding=True) for name in ("starts", "relations")[: 1 + filtered]]
            )
            for filtered in (False, True)
        }

    def _statement(self, direction: Direction, *, bounded: bool, filtered: bool) -> Any:
        key = (direction, bounded, filtered)
        statement = self._statements.get(key)
        if statement is None:
            params: list[sa.BindParameter[Any]] = [sa.bindparam("starts", expanding=True)]
            if filtered:
                params.append(sa.bindparam("relations", expanding=True))
            statement = sa.text(_walk_sql(direction, bounded=bounded, filtered=filtered)).bindparams(*params)
            self._statements[key] = statement
        return statement

    def walk(
        self,
        tx: AssetReader,
        starts: Sequence[str],
        direction: Direction,
        *,
        depth: int | None,
        relations: Sequence[str],
    ) -> list[EdgeRow]:
        if not starts or depth == 0:
            return []
        values: dict[str, Any] = {"starts": list(starts)}
        if relations:
            values["relations"] = list(relations)
        if depth is not None:
            values["depth"] = depth
        statement = self._statement(direction, bounded=depth is not None, filtered=bool(relations))
        nodes: dict[tuple[str, ...], LineageNode] = {}  # one node object per version, however many edges

        def cached(*key: str) -> LineageNode:
            found = nodes.get(key)
            if found is None:
                found = nodes[key] = node(*key)
            return found

        out: list[EdgeRow] = []
        for r in connection_of(tx).execute(statement, values):
            source = cached(r[6], r[7], r[8], r[3], r[4], r[5])
            if r[1] is None:
                target = cached(r[12], r[13], r[14], r[15], r[16], MISSING)
            else:
                target = cached(r[12], r[13], r[14], r[9], r[10], r[11])
            out.append(EdgeRow(r[0], r[1], r[2], source, target))
        return out

    def dependents(
        self, tx: AssetReader, root: str, *, relations: Sequence[str]
    ) -> tuple[list[tuple[str, str, str]], dict[str, VersionFacts]]:
        values: dict[str, Any] = {"starts": [root]}
        if relations:
            values["relations"] = list(relations)
        edges: list[tuple[str, str, str]] = []
        facts: dict[str, VersionFacts] = {}
        for r in connection_of(tx).execute(self._impact[bool(relations)], values):
            edges.append((r[0], r[1], r[2]))
            if r[0] not in facts:
                facts[r[0]] = VersionFacts(r[6], f"{r[7]}/{r[8]}", r[3], r[4], r[5])
        return edges, facts

    def find_versions(
        self, tx: AssetReader, keys: Sequence[tuple[str, str, str, str]]
    ) -> dict[tuple[str, str, str, str], LineageNode]:
        if not keys:
            return {}
        rows = connection_of(tx).execute(
            sa.select(
                assets.c.kind,
                assets.c.namespace,
                assets.c.name,
                versions.c.version,
                versions.c.digest,
                versions.c.status,
            )
            .join_from(versions, assets, versions.c.asset_id == assets.c.id)
            .where(sa.tuple_(assets.c.kind, assets.c.namespace, assets.c.name, versions.c.version).in_(list(keys)))
        )
        return {(r[0], r[1], r[2], r[3]): node(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}
