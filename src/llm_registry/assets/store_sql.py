"""The SQL implementation of the asset store, shared by SQLite and PostgreSQL.

Backends differ only in how a write transaction begins and how strings aggregate; the
subclasses in ``store_sqlite`` and ``store_postgres`` supply that.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from ulid import ULID

from llm_registry.assets.interfaces import (
    AliasRow,
    AssetListRow,
    AssetRow,
    DependencyRow,
    DependentRow,
    LabelRevisionRow,
    VersionRow,
)
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.events import store_sql as event_sql
from llm_registry.events.models import Event
from llm_registry.storage.schema import aliases, asset_edges, assets, dependencies, label_revisions, versions

_VERSION_COLUMNS = [c for c in versions.c if c.name != "asset_id"]


class SqlTransaction:
    """One transaction on one connection; implements AssetWriter (and so AssetReader)."""

    def __init__(self, connection: sa.Connection, aggregate: Any) -> None:
        self.connection = connection
        own = aliases.alias("own_aliases")
        self._alias_names = (
            sa.select(aggregate(own.c.name))
            .where(own.c.version_id == versions.c.id)
            .correlate(versions)
            .scalar_subquery()
            .label("alias_names")
        )
        self._version_select = sa.select(
            versions.c.asset_id, *_VERSION_COLUMNS, assets.c.kind, assets.c.namespace, assets.c.name.label("asset_name"),
            self._alias_names,
        ).join_from(versions, assets, versions.c.asset_id == assets.c.id)

    # ----------------------------------------------------------------- reads
    @staticmethod
    def _version_row(row: sa.Row[Any]) -> VersionRow:
        m = row._mapping
        names = m["alias_names"]
        return VersionRow(
            id=m["id"], asset_id=m["asset_id"], kind=Kind(m["kind"]), namespace=m["namespace"],
            name=m["asset_name"], version=m["version"], version_key=m["version_key"], major=m["major"],
            minor=m["minor"], patch=m["patch"], prerelease_key=m["prerelease_key"],
            is_prerelease=bool(m["is_prerelease"]), status=m["status"], status_message=m["status_message"],
            replacement=m["replacement"], digest=m["digest"], document_digest=m["document_digest"],
            spec=m["spec"], content=m["content"], dependencies=m["dependencies"], pins=m["pins"],
            provenance=m["provenance"], labels=m["labels"], revision=m["revision"],
            created_at=m["created_at"], created_by=m["created_by"], updated_at=m["updated_at"],
            aliases=sorted(names.split(",")) if names else [],
        )

    def _asset_filter(self, kind: Kind, name: AssetName) -> sa.ColumnElement[bool]:
        return sa.and_(assets.c.kind == kind.value, assets.c.namespace == name.namespace, assets.c.name == name.name)

    def find_asset(self, kind: Kind, name: AssetName) -> AssetRow | None:
        row = self.connection.execute(sa.select(assets).where(self._asset_filter(kind, name))).first()
        return _asset_row(row) if row else None

    def find_version(self, kind: Kind, name: AssetName, version_key: str) -> VersionRow | None:
        query = self._version_select.where(self._asset_filter(kind, name), versions.c.version_key == version_key)
        row = self.connection.execute(query).first()
        return self._version_row(row) if row else None

    def find_version_by_digest(self, kind: Kind, name: AssetName, digest: str) -> VersionRow | None:
        query = (
            self._version_select.where(self._asset_filter(kind, name), versions.c.digest == digest)
            .order_by(*_PRECEDENCE_DESC)
            .limit(1)
        )
        row = self.connection.execute(query).first()
        return self._version_row(row) if row else None

    def find_version_by_alias(self, kind: Kind, name: AssetName, alias: str) -> VersionRow | None:
        query = self._version_select.join(aliases, aliases.c.version_id == versions.c.id).where(
            self._asset_filter(kind, name), aliases.c.name == alias
        )
        row = self.connection.execute(query).first()
        return self._version_row(row) if row else None

    def iter_versions_by_precedence(
        self, asset_id: str, *, include_prerelease: bool, statuses: Sequence[str]
    ) -> Iterator[VersionRow]:
        query = self._version_select.where(versions.c.asset_id == asset_id, versions.c.status.in_(list(statuses)))
        if not include_prerelease:
            query = query.where(versions.c.is_prerelease == sa.false())
        # Fetch in small batches: the first match usually sits near the top.
        result = self.connection.execution_options(yield_per=32).execute(query.order_by(*_PRECEDENCE_DESC))
        try:
            for row in result:
                yield self._version_row(row)
        finally:
            result.close()

    def list_versions(
        self, asset_id: str, *, before: tuple[int, int, int, str] | None, limit: int
    ) -> list[VersionRow]:
        query = self._version_select.where(versions.c.asset_id == asset_id)
        if before is not None:
            query = query.where(
                sa.tuple_(versions.c.major, versions.c.minor, versions.c.patch, versions.c.prerelease_key)
                < sa.tuple_(*(sa.literal(v) for v in before))
            )
        rows = self.connection.execute(query.order_by(*_PRECEDENCE_DESC).limit(limit))
        return [self._version_row(row) for row in rows]

    def list_assets(
        self,
        *,
        kind: Kind | None,
        namespace: str | None,
        name: str | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> list[AssetListRow]:
        count = (
            sa.select(sa.func.count()).where(versions.c.asset_id == assets.c.id).scalar_subquery().label("n")
        )
        latest = (
            sa.select(versions.c.version)
            .where(versions.c.asset_id == assets.c.id, versions.c.status == "active",
                   versions.c.is_prerelease == sa.false())
            .order_by(*_PRECEDENCE_DESC)
            .limit(1)
            .scalar_subquery()
            .label("latest")
        )
        query = sa.select(assets, count, latest)
        if name is not None:
            query = query.where(assets.c.name == name)
        if kind is not None:
            query = query.where(assets.c.kind == kind.value)
        if namespace is not None:
            query = query.where(assets.c.namespace == namespace)
        if after is not None:
            query = query.where(
                sa.tuple_(assets.c.kind, assets.c.namespace, assets.c.name) > sa.tuple_(*(sa.literal(v) for v in after))
            )
        rows = self.connection.execute(
            query.order_by(assets.c.kind, assets.c.namespace, assets.c.name).limit(limit)
        ).all()
        alias_map: dict[str, dict[str, str]] = {row.id: {} for row in rows}
        if rows:  # one query for every asset's aliases on the page, not one per asset
            alias_rows = self.connection.execute(
                sa.select(aliases.c.asset_id, aliases.c.name, versions.c.version)
                .join_from(aliases, versions, aliases.c.version_id == versions.c.id)
                .where(aliases.c.asset_id.in_(list(alias_map)))
            )
            for alias_row in alias_rows:
                alias_map[alias_row.asset_id][alias_row.name] = alias_row.version
        return [AssetListRow(_asset_row(row), int(row.n), row.latest, alias_map[row.id]) for row in rows]

    def list_aliases(self, asset_id: str) -> list[AliasRow]:
        rows = self.connection.execute(
            sa.select(aliases.c.name, versions.c.version, aliases.c.version_id, aliases.c.updated_at, aliases.c.updated_by)
            .join_from(aliases, versions, aliases.c.version_id == versions.c.id)
            .where(aliases.c.asset_id == asset_id)
            .order_by(aliases.c.name)
        )
        return [AliasRow(r.name, r.version, r.version_id, r.updated_at, r.updated_by) for r in rows]

    def list_dependents(self, version_id: str) -> list[DependentRow]:
        rows = self.connection.execute(
            sa.select(assets.c.kind, assets.c.namespace, assets.c.name, versions.c.version,
                      dependencies.c.relation, dependencies.c.ref)
            .join_from(dependencies, versions, dependencies.c.version_id == versions.c.id)
            .join(assets, assets.c.id == versions.c.asset_id)
            .where(dependencies.c.target_version_id == version_id)
            .order_by(assets.c.kind, assets.c.namespace, assets.c.name, *_PRECEDENCE_DESC)
        )
        return [DependentRow(Kind(r.kind), r.namespace, r.name, r.version, r.relation, r.ref) for r in rows]

    def list_label_revisions(self, version_id: str) -> list[LabelRevisionRow]:
        rows = self.connection.execute(
            sa.select(label_revisions)
            .where(label_revisions.c.version_id == version_id)
            .order_by(label_revisions.c.revision)
        )
        return [LabelRevisionRow(r.revision, r.labels, r.created_at, r.created_by) for r in rows]

    def find_asset_path(self, sources: Sequence[str], target: str) -> list[str] | None:
        if target in sources:
            return [target]
        # Cheap yes/no first, with a recursive query; the path is rebuilt only on a hit.
        seeds = sa.union(*(sa.select(sa.literal(s).label("id")) for s in sources)).cte("seeds")
        reach = sa.select(seeds.c.id).cte("reach", recursive=True)
        reach = reach.union(
            sa.select(asset_edges.c.to_asset_id).join(reach, asset_edges.c.from_asset_id == reach.c.id)
        )
        hit = self.connection.execute(sa.select(reach.c.id).where(reach.c.id == target).limit(1)).first()
        if hit is None:
            return None
        parents: dict[str, str | None] = {s: None for s in sources}
        frontier = list(sources)
        while frontier and target not in parents:
            rows = self.connection.execute(
                sa.select(asset_edges.c.from_asset_id, asset_edges.c.to_asset_id).where(
                    asset_edges.c.from_asset_id.in_(frontier)
                )
            )
            frontier = []
            for source, dest in rows:
                if dest not in parents:
                    parents[dest] = source
                    frontier.append(dest)
        path = [target]
        node = parents.get(target)
        while node is not None:
            path.append(node)
            node = parents[node]
        return path[::-1]

    def describe_assets(self, asset_ids: Sequence[str]) -> dict[str, str]:
        rows = self.connection.execute(
            sa.select(assets.c.id, assets.c.kind, assets.c.namespace, assets.c.name).where(
                assets.c.id.in_(list(asset_ids))
            )
        )
        return {r.id: f"{r.kind}:{r.namespace}/{r.name}" for r in rows}

    def list_events(
        self,
        *,
        after: int,
        types: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
    ) -> list[Event]:
        return event_sql.list_events(
            self.connection, after=after, types=types, subject=subject, actor=actor, since=since, until=until,
            limit=limit,
        )

    # ---------------------------------------------------------------- writes
    def get_or_create_asset(self, row: AssetRow) -> tuple[AssetRow, bool]:
        existing = self.find_asset(row.kind, AssetName(row.namespace, row.name))
        if existing is not None:
            return existing, False
        self.connection.execute(
            assets.insert(),
            {"id": row.id, "kind": row.kind.value, "namespace": row.namespace, "name": row.name,
             "created_at": row.created_at, "created_by": row.created_by},
        )
        return row, True

    def insert_version(self, row: VersionRow, dependencies_: Sequence[DependencyRow]) -> None:
        values = {c.name: getattr(row, c.name) for c in versions.c}
        self.connection.execute(versions.insert(), values)
        self.connection.execute(
            label_revisions.insert(),
            {"version_id": row.id, "revision": row.revision, "labels": row.labels,
             "created_at": row.created_at, "created_by": row.created_by},
        )
        if dependencies_:
            self.connection.execute(
                dependencies.insert(),
                [
                    {"version_id": row.id, "position": d.position, "ref": d.ref, "relation": d.relation,
                     "target_asset_id": d.target_asset_id, "target_version_id": d.target_version_id,
                     "target_version": d.target_version, "target_digest": d.target_digest}
                    for d in dependencies_
                ],
            )
            self._add_edges(row.asset_id, {d.target_asset_id for d in dependencies_})

    def _add_edges(self, from_asset: str, targets: set[str]) -> None:
        existing = set(
            self.connection.execute(
                sa.select(asset_edges.c.to_asset_id).where(
                    asset_edges.c.from_asset_id == from_asset, asset_edges.c.to_asset_id.in_(list(targets))
                )
            ).scalars()
        )
        missing = targets - existing
        if missing:
            self.connection.execute(
                asset_edges.insert(), [{"from_asset_id": from_asset, "to_asset_id": t} for t in sorted(missing)]
            )

    def update_labels(self, version_id: str, labels: dict[str, Any], revision: int, at: str, by: str) -> None:
        self.connection.execute(
            versions.update().where(versions.c.id == version_id).values(labels=labels, revision=revision, updated_at=at)
        )
        self.connection.execute(
            label_revisions.insert(),
            {"version_id": version_id, "revision": revision, "labels": labels, "created_at": at, "created_by": by},
        )

    def update_status(
        self, version_id: str, status: str, message: str | None, replacement: str | None, at: str
    ) -> None:
        self.connection.execute(
            versions.update()
            .where(versions.c.id == version_id)
            .values(status=status, status_message=message, replacement=replacement, updated_at=at)
        )

    def delete_version(self, row: VersionRow) -> None:
        self.connection.execute(versions.delete().where(versions.c.id == row.id))
        # The asset-level graph is derived: rebuild this asset's out-edges from what remains.
        self.connection.execute(asset_edges.delete().where(asset_edges.c.from_asset_id == row.asset_id))
        remaining = self.connection.execute(
            sa.select(dependencies.c.target_asset_id)
            .distinct()
            .join_from(dependencies, versions, dependencies.c.version_id == versions.c.id)
            .where(versions.c.asset_id == row.asset_id)
        ).scalars()
        targets = set(remaining)
        if targets:
            self._add_edges(row.asset_id, targets)

    def set_alias(self, asset_id: str, alias: str, version_id: str, at: str, by: str) -> None:
        updated = self.connection.execute(
            aliases.update()
            .where(aliases.c.asset_id == asset_id, aliases.c.name == alias)
            .values(version_id=version_id, updated_at=at, updated_by=by)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                aliases.insert(),
                {"asset_id": asset_id, "name": alias, "version_id": version_id, "updated_at": at, "updated_by": by},
            )

    def delete_alias(self, asset_id: str, alias: str) -> bool:
        result = self.connection.execute(
            aliases.delete().where(aliases.c.asset_id == asset_id, aliases.c.name == alias)
        )
        return bool(result.rowcount)

    def append_event(
        self, *, type: str, subject: str, asset: str | None, actor: str, at: str, payload: dict[str, Any]
    ) -> None:
        self.before_event()
        event_sql.append_event(
            self.connection, id=str(ULID()), type=type, subject=subject, asset=asset, actor=actor,
            created_at=at, payload=payload,
        )

    def before_event(self) -> None:
        """Hook for backends that must order event commits (PostgreSQL)."""


_PRECEDENCE_DESC = (
    versions.c.major.desc(),
    versions.c.minor.desc(),
    versions.c.patch.desc(),
    versions.c.prerelease_key.desc(),
)


def _asset_row(row: sa.Row[Any]) -> AssetRow:
    return AssetRow(row.id, Kind(row.kind), row.namespace, row.name, row.created_at, row.created_by)


class SqlAssetStore:
    """Transactions over one engine; subclasses say how a write begins."""

    backend = "sql"
    transaction_class: type[SqlTransaction] = SqlTransaction

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._closed = False

    def _aggregate(self, column: Any) -> Any:
        raise NotImplementedError

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self.engine.connect() as connection, connection.begin():
            yield self.transaction_class(connection, self._aggregate)

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with self.engine.connect() as connection, connection.begin():
            yield self.transaction_class(connection, self._aggregate)

    def last_event_cursor(self) -> int:
        with self.engine.connect() as connection:
            return event_sql.last_cursor(connection)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.engine.dispose()
