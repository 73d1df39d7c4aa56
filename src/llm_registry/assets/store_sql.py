"""The SQL implementation of the asset store, shared by SQLite and PostgreSQL.

Backends differ only in how a write transaction begins and how strings aggregate; the
subclasses in ``store_sqlite`` and ``store_postgres`` supply that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from llm_registry.assets.interfaces import (
    AliasRow,
    AssetListRow,
    AssetRow,
    BatchWriter,
    DependencyRow,
    DependentRow,
    LabelRevisionRow,
    PinTarget,
    VersionRow,
)
from llm_registry.assets.rows import version_row
from llm_registry.domain.ids import new_id
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.events import store_sql as event_sql
from llm_registry.events.models import Event
from llm_registry.storage.compiled import BulkInsert, CompiledStatement, dump_json, translate
from llm_registry.storage.errors import database_errors
from llm_registry.storage.schema import aliases, asset_edges, assets, dependencies, events, label_revisions, versions

_VERSION_FIELDS = [str(col.name) for col in versions.c]  # plain str: orjson takes no subclass as a key
_JSON_FIELDS = ("spec", "content", "dependencies", "pins", "provenance", "labels")

_VERSION_COLUMNS = [*versions.c, assets.c.kind, assets.c.namespace, assets.c.name.label("asset_name")]
PRECEDENCE_DESC = (
    versions.c.major.desc(),
    versions.c.minor.desc(),
    versions.c.patch.desc(),
    versions.c.prerelease_key.desc(),
)
_P = sa.bindparam


class Statements:
    """The hot statements, compiled once per store for its dialect."""

    def __init__(self, dialect: sa.Dialect, aggregate: Any) -> None:
        own = aliases.alias("own_aliases")
        alias_names = (
            sa.select(aggregate(own.c.name))
            .where(own.c.version_id == versions.c.id)
            .correlate(versions)
            .scalar_subquery()
        )
        base = sa.select(*_VERSION_COLUMNS, alias_names).join_from(versions, assets, versions.c.asset_id == assets.c.id)
        by_name = sa.and_(
            assets.c.kind == _P("kind"), assets.c.namespace == _P("namespace"), assets.c.name == _P("name")
        )

        def c(statement: Any) -> CompiledStatement:
            return CompiledStatement(statement, dialect)

        # Versions by any condition (batch reads), as the rows version_row reads.
        self.version_base = base
        self.asset_by_name = c(sa.select(assets).where(by_name))
        self.version_by_key = c(base.where(by_name, versions.c.version_key == _P("key")))
        self.version_by_id = c(base.where(versions.c.id == _P("id")))
        self.version_by_digest = c(
            base.where(by_name, versions.c.digest == _P("digest")).order_by(*PRECEDENCE_DESC).limit(1)
        )
        # The alias by its key (the asset and the name), then its version by id: saying the asset
        # in the join lets the planners start from the alias's primary key, statistics or not.
        self.version_by_alias = c(
            base.join(aliases, sa.and_(aliases.c.asset_id == assets.c.id, aliases.c.version_id == versions.c.id)).where(
                by_name, aliases.c.name == _P("alias")
            )
        )
        self.pin_target = c(
            sa.select(versions.c.id, versions.c.asset_id, versions.c.version, versions.c.digest).where(
                versions.c.id == _P("id")
            )
        )
        numbers = (
            sa.select(versions.c.id, versions.c.version)
            .join_from(versions, assets, versions.c.asset_id == assets.c.id)
            .where(by_name)
        )
        release = versions.c.is_prerelease == sa.false()
        active = versions.c.status == "active"
        choosable = versions.c.status != "yanked"
        self.numbers = {
            (False, True): c(numbers.where(release, active).order_by(*PRECEDENCE_DESC)),
            (True, True): c(numbers.where(active).order_by(*PRECEDENCE_DESC)),
            (False, False): c(numbers.where(release, choosable).order_by(*PRECEDENCE_DESC)),
            (True, False): c(numbers.where(choosable).order_by(*PRECEDENCE_DESC)),
        }
        page = base.where(versions.c.asset_id == _P("asset_id")).order_by(*PRECEDENCE_DESC).limit(_P("limit"))
        self.versions_page = c(page)
        self.versions_page_before = c(
            page.where(
                sa.tuple_(versions.c.major, versions.c.minor, versions.c.patch, versions.c.prerelease_key)
                < sa.tuple_(_P("b_major"), _P("b_minor"), _P("b_patch"), _P("b_pre"))
            )
        )
        self.insert_asset = c(assets.insert().values({col.name: _P(col.name) for col in assets.c}))
        self.insert_version = c(versions.insert().values({col.name: _P(col.name) for col in versions.c}))
        self.insert_label_revision = c(
            label_revisions.insert().values({col.name: _P(col.name) for col in label_revisions.c})
        )
        self.insert_dependency = c(dependencies.insert().values({col.name: _P(col.name) for col in dependencies.c}))
        # An edge that exists already is left alone (both backends know ON CONFLICT DO NOTHING).
        self.insert_edge = c(
            sa.text(
                "INSERT INTO asset_edges (from_asset_id, to_asset_id) VALUES (:from_asset_id, :to_asset_id)"
                " ON CONFLICT DO NOTHING"
            )
        )
        self.has_dependents = c(sa.select(sa.literal(1)).where(asset_edges.c.to_asset_id == _P("asset_id")).limit(1))
        self._dialect = dialect
        self._reaches: dict[int, CompiledStatement] = {}
        self.insert_event = c(events.insert().values({col.name: _P(col.name) for col in events.c if col.name != "seq"}))
        # The same inserts for many rows (batch registration).

        def bulk(table: sa.Table, fallback: CompiledStatement, suffix: str = "") -> BulkInsert:
            columns = [col.name for col in table.c if col.name != "seq"]
            return BulkInsert(table, columns, dialect, fallback=fallback, suffix=suffix)

        self.bulk_assets = bulk(assets, self.insert_asset)
        self.bulk_versions = bulk(versions, self.insert_version)
        self.bulk_label_revisions = bulk(label_revisions, self.insert_label_revision)
        self.bulk_dependencies = bulk(dependencies, self.insert_dependency)
        self.bulk_edges = bulk(asset_edges, self.insert_edge, "ON CONFLICT DO NOTHING")
        self.bulk_events = bulk(events, self.insert_event)

    def reaches(self, arity: int) -> CompiledStatement:
        """Does a path lead from one of ``arity`` sources (``s0``…) to ``target``?"""
        statement = self._reaches.get(arity)
        if statement is None:
            reach = (
                sa.select(asset_edges.c.to_asset_id.label("id"))
                .where(asset_edges.c.from_asset_id.in_([_P(f"s{i}") for i in range(arity)]))
                .cte("reach", recursive=True)
            )
            step = sa.select(asset_edges.c.to_asset_id).join(reach, asset_edges.c.from_asset_id == reach.c.id)
            reach = reach.union(step)
            query = sa.select(reach.c.id).where(reach.c.id == _P("target")).limit(1)
            statement = self._reaches[arity] = CompiledStatement(query, self._dialect)
        return statement


def asset_values(row: AssetRow) -> dict[str, Any]:
    """The ``assets`` row of ``row``, as the insert statement binds it."""
    return {"id": row.id, "kind": row.kind.value, "namespace": row.namespace, "name": row.name,
            "created_at": row.created_at, "created_by": row.created_by}


def version_values(row: VersionRow) -> dict[str, Any]:
    """The ``versions`` row of ``row``, its JSON columns serialized."""
    values = {name: getattr(row, name) for name in _VERSION_FIELDS}
    for name in _JSON_FIELDS:
        values[name] = dump_json(values[name])
    return values


def label_revision_values(row: VersionRow, labels_json: Any) -> dict[str, Any]:
    """The first ``label_revisions`` row of a new version (``labels_json``: its labels serialized)."""
    return {"version_id": row.id, "revision": row.revision, "labels": labels_json,
            "created_at": row.created_at, "created_by": row.created_by}


def dependency_values(row: VersionRow, d: DependencyRow) -> dict[str, Any]:
    """The ``dependencies`` row of ``d``, a dependency of the new version ``row``."""
    return {"version_id": row.id, "position": d.position, "ref": d.ref, "relation": d.relation,
            "target_asset_id": d.target_asset_id, "target_version_id": d.target_version_id,
            "target_version": d.target_version, "target_digest": d.target_digest}


class SqlTransaction:
    """One transaction on one connection; implements AssetWriter (and so AssetReader)."""

    def __init__(self, connection: sa.Connection, statements: Statements) -> None:
        self.connection = connection
        self.sql = statements
        self._savepoints = 0
        # Transaction-scoped locks this transaction holds (taken once, kept until it ends).
        self.locks: set[object] = set()

    def batched(self) -> BatchWriter:
        """This transaction, holding the inserts of registrations until they are written per
        table (``store_sql_batch.BatchedTransaction``, which each backend's transaction class
        returns, so that this module need not import the batch module)."""
        raise TypeError(f"{type(self).__name__} has no batch writer")

    # ----------------------------------------------------------------- reads
    def _one_version(self, statement: CompiledStatement, values: dict[str, Any]) -> VersionRow | None:
        rows = statement.fetch(self.connection, values)
        return version_row(rows[0]) if rows else None

    @staticmethod
    def _name(kind: Kind, name: AssetName) -> dict[str, Any]:
        return {"kind": kind.value, "namespace": name.namespace, "name": name.name}

    def find_asset(self, kind: Kind, name: AssetName) -> AssetRow | None:
        rows = self.sql.asset_by_name.fetch(self.connection, self._name(kind, name))
        if not rows:
            return None
        r = rows[0]
        return AssetRow(r[0], Kind(r[1]), r[2], r[3], r[4], r[5])

    def find_version(self, kind: Kind, name: AssetName, version_key: str) -> VersionRow | None:
        return self._one_version(self.sql.version_by_key, {**self._name(kind, name), "key": version_key})

    def get_version_by_id(self, version_id: str) -> VersionRow:
        row = self._one_version(self.sql.version_by_id, {"id": version_id})
        assert row is not None, version_id
        return row

    def get_pin_target(self, version_id: str) -> PinTarget:
        ((id_, asset_id, version, digest),) = self.sql.pin_target.fetch(self.connection, {"id": version_id})
        return PinTarget(id_, asset_id, version, digest)

    def find_version_by_digest(self, kind: Kind, name: AssetName, digest: str) -> VersionRow | None:
        return self._one_version(self.sql.version_by_digest, {**self._name(kind, name), "digest": digest})

    def find_digests(self, kind: Kind, name: AssetName, prefix: str, *, limit: int) -> list[str]:
        # A range on the (asset_id, digest) index rather than LIKE (case-insensitive on SQLite,
        # so it could not use the index): every digest starting with the hex prefix sorts
        # between it and the prefix followed by "g", which sorts after every hex digit.
        rows = self.connection.execute(
            sa.select(versions.c.digest)
            .distinct()
            .join_from(versions, assets, versions.c.asset_id == assets.c.id)
            .where(assets.c.kind == kind.value, assets.c.namespace == name.namespace, assets.c.name == name.name,
                   versions.c.digest >= prefix, versions.c.digest < prefix + "g")
            .order_by(versions.c.digest)
            .limit(limit)
        )
        return [str(digest) for (digest,) in rows]

    def find_version_by_alias(self, kind: Kind, name: AssetName, alias: str) -> VersionRow | None:
        return self._one_version(self.sql.version_by_alias, {**self._name(kind, name), "alias": alias})

    def iter_version_numbers(
        self, kind: Kind, name: AssetName, *, include_prerelease: bool, only_active: bool
    ) -> Iterator[tuple[str, str]]:
        statement = self.sql.numbers[(include_prerelease, only_active)]
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        params = statement._params(self._name(kind, name))
        try:
            cursor.execute(statement.sql, params)
            # Small batches: the first match usually sits near the top.
            while batch := cursor.fetchmany(64):
                yield from batch
        except self.connection.dialect.loaded_dbapi.Error as exc:
            raise translate(exc, statement.sql, params, self.connection) from exc
        finally:
            cursor.close()

    def list_versions(self, asset_id: str, *, before: tuple[int, int, int, str] | None, limit: int) -> list[VersionRow]:
        if before is None:
            rows = self.sql.versions_page.fetch(self.connection, {"asset_id": asset_id, "limit": limit})
        else:
            rows = self.sql.versions_page_before.fetch(
                self.connection,
                {
                    "asset_id": asset_id,
                    "limit": limit,
                    "b_major": before[0],
                    "b_minor": before[1],
                    "b_patch": before[2],
                    "b_pre": before[3],
                },
            )
        return [version_row(r) for r in rows]

    def list_assets(
        self,
        *,
        kind: Kind | None,
        namespace: str | None,
        name: str | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> list[AssetListRow]:
        count = sa.select(sa.func.count()).where(versions.c.asset_id == assets.c.id).scalar_subquery().label("n")
        latest = (
            sa.select(versions.c.version)
            .where(
                versions.c.asset_id == assets.c.id,
                versions.c.status == "active",
                versions.c.is_prerelease == sa.false(),
            )
            .order_by(*PRECEDENCE_DESC)
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

    def list_aliases(self, asset_id: str, *, after: str | None = None, limit: int | None = None) -> list[AliasRow]:
        query = (
            sa.select(
                aliases.c.name, versions.c.version, aliases.c.version_id, aliases.c.updated_at, aliases.c.updated_by
            )
            .join_from(aliases, versions, aliases.c.version_id == versions.c.id)
            .where(aliases.c.asset_id == asset_id)
            .order_by(aliases.c.name)
        )
        if after is not None:
            query = query.where(aliases.c.name > after)
        if limit is not None:
            query = query.limit(limit)
        return [AliasRow(r.name, r.version, r.version_id, r.updated_at, r.updated_by)
                for r in self.connection.execute(query)]

    def find_alias(self, asset_id: str, alias: str) -> AliasRow | None:
        row = self.connection.execute(
            sa.select(
                aliases.c.name, versions.c.version, aliases.c.version_id, aliases.c.updated_at, aliases.c.updated_by
            )
            .join_from(aliases, versions, aliases.c.version_id == versions.c.id)
            .where(aliases.c.asset_id == asset_id, aliases.c.name == alias)
        ).first()
        return AliasRow(row.name, row.version, row.version_id, row.updated_at, row.updated_by) if row else None

    def list_dependents(self, version_id: str) -> list[DependentRow]:
        rows = self.connection.execute(
            sa.select(
                assets.c.kind,
                assets.c.namespace,
                assets.c.name,
                versions.c.version,
                dependencies.c.relation,
                dependencies.c.ref,
            )
            .join_from(dependencies, versions, dependencies.c.version_id == versions.c.id)
            .join(assets, assets.c.id == versions.c.asset_id)
            .where(dependencies.c.target_version_id == version_id)
            .order_by(assets.c.kind, assets.c.namespace, assets.c.name, *PRECEDENCE_DESC)
        )
        return [DependentRow(Kind(r.kind), r.namespace, r.name, r.version, r.relation, r.ref) for r in rows]

    def list_label_revisions(
        self, version_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[LabelRevisionRow]:
        query = (
            sa.select(label_revisions)
            .where(label_revisions.c.version_id == version_id, label_revisions.c.revision > after)
            .order_by(label_revisions.c.revision)
        )
        if limit is not None:
            query = query.limit(limit)
        return [LabelRevisionRow(r.revision, r.labels, r.created_at, r.created_by)
                for r in self.connection.execute(query)]

    def find_label_revision_at(self, version_id: str, moment: str) -> LabelRevisionRow | None:
        row = self.connection.execute(
            sa.select(label_revisions)
            .where(label_revisions.c.version_id == version_id, label_revisions.c.created_at <= moment)
            .order_by(label_revisions.c.revision.desc())
            .limit(1)
        ).first()
        return LabelRevisionRow(row.revision, row.labels, row.created_at, row.created_by) if row else None

    def find_asset_path(self, sources: Sequence[str], target: str) -> list[str] | None:
        if target in sources:
            return [target]
        # Nothing can lead back to an asset nobody depends on: the common case, one lookup.
        if not self.sql.has_dependents.fetch(self.connection, {"asset_id": target}):
            return None
        if not self.sql.reaches(len(sources)).fetch(
            self.connection, {"target": target, **{f"s{i}": s for i, s in enumerate(sources)}}
        ):
            return None
        # Rebuild the path breadth-first, only on a hit.
        parents: dict[str, str | None] = dict.fromkeys(sources)
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
        exclude_areas: Sequence[str] = (),
        limit: int = 100,
    ) -> list[Event]:
        return event_sql.list_events(
            self.connection,
            after=after,
            types=types,
            subject=subject,
            actor=actor,
            since=since,
            until=until,
            exclude_areas=exclude_areas,
            limit=limit,
        )

    # ---------------------------------------------------------------- writes
    def get_or_create_asset(self, row: AssetRow) -> tuple[AssetRow, bool]:
        existing = self.find_asset(row.kind, AssetName(row.namespace, row.name))
        if existing is not None:
            return existing, False
        self.sql.insert_asset.execute(self.connection, asset_values(row))
        return row, True

    def insert_version(self, row: VersionRow, dependencies_: Sequence[DependencyRow]) -> None:
        values = version_values(row)
        self.sql.insert_version.execute(self.connection, values)
        self.sql.insert_label_revision.execute(self.connection, label_revision_values(row, values["labels"]))
        if dependencies_:
            self.sql.insert_dependency.execute_many(self.connection, [dependency_values(row, d) for d in dependencies_])
            self._add_edges(row.asset_id, {d.target_asset_id for d in dependencies_})

    def _add_edges(self, from_asset: str, targets: set[str]) -> None:
        self.sql.insert_edge.execute_many(
            self.connection, [{"from_asset_id": from_asset, "to_asset_id": t} for t in sorted(targets)]
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
        self.sql.insert_event.execute(
            self.connection,
            {
                "id": new_id(),
                "type": str(type),
                "subject": subject,
                "asset": asset,
                "actor": actor,
                "created_at": at,
                "payload": dump_json(payload),
            },
        )

    def before_event(self) -> None:
        """Hook for backends that must order event commits (PostgreSQL)."""

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        held = set(self.locks)
        self.connection.exec_driver_sql(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
            self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
            # Locks taken after a savepoint go when it is rolled back to.
            self.locks = held
            raise
        self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {name}")

    def lock_dependency_graph(self) -> None:
        """Hold the asset graph still until commit, so two registrations cannot each pass
        the cycle check and together close a cycle. SQLite's single writer already does."""

    def lock_asset(self, asset_id: str) -> bool:
        """SQLite's single writer already runs one write transaction at a time."""
        return False


def _asset_row(row: sa.Row[Any]) -> AssetRow:
    return AssetRow(row.id, Kind(row.kind), row.namespace, row.name, row.created_at, row.created_by)


class SqlAssetStore:
    """Transactions over one engine; subclasses say how a write begins."""

    backend = "sql"
    transaction_class: type[SqlTransaction] = SqlTransaction

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements = Statements(engine.dialect, self._aggregate)
        # The driver's own errors (statements run on its connection raise them untranslated).
        self.driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._closed = False
        # Readers waiting for the next commit of this process (the change feed's long-poll).
        self._commits = threading.Condition()
        self._commit_count = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def commit_count(self) -> int:
        """How many write transactions this store has committed."""
        return self._commit_count

    def committed(self) -> None:
        """Wake the readers waiting for a commit (called after each write transaction commits)."""
        with self._commits:
            self._commit_count += 1
            self._commits.notify_all()

    def wait_for_commit(self, seen: int, timeout: float) -> bool:
        with self._commits:
            return self._commits.wait_for(lambda: self._commit_count != seen or self._closed, timeout)

    def _aggregate(self, column: Any) -> Any:
        raise NotImplementedError

    def read(self) -> AbstractContextManager[SqlTransaction]:
        return self._read()

    def change_counter(self) -> int | None:
        """A number that changes with every commit of any connection; None: not known cheaply."""
        return None

    @contextmanager
    def _read(self) -> Iterator[SqlTransaction]:
        with database_errors(self.driver_error), self.engine.connect() as connection, connection.begin():
            yield self.transaction_class(connection, self.statements)

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with database_errors(self.driver_error), self.engine.connect() as connection, connection.begin():
            yield self.transaction_class(connection, self.statements)
        self.committed()

    def last_event_cursor(self) -> int:
        with database_errors(self.driver_error), self.engine.connect() as connection:
            return event_sql.last_cursor(connection)

    def close(self) -> None:
        if not self._closed:
            with self._commits:
                self._closed = True
                self._commits.notify_all()
            self.engine.dispose()
