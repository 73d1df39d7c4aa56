"""A write transaction for batch registration: its inserts are held, then written per table.

A batch registers each document through the same steps as a registration of its own
(``RegistrationService.register_in``); run on ``BatchedTransaction``, those steps read what the
batch needs from rows read in bulk up front and from the rows it holds, and hand their inserts
to lists that ``flush`` writes with one ``executemany`` per table, in document order (so events
keep the order of the documents). A read the held rows cannot answer (a range over an asset the
batch added versions to, the dependency graph near an asset with new edges) flushes them first,
so every check reads what it would read after the earlier documents, as in single registrations.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.interfaces import AssetRow, DependencyRow, PinTarget, VersionRow
from llm_registry.assets.rows import version_row
from llm_registry.assets.store_sql import (
    SqlTransaction,
    asset_values,
    dependency_values,
    label_revision_values,
    version_values,
)
from llm_registry.domain.ids import new_id
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.domain.references import Reference
from llm_registry.storage.compiled import dump_json
from llm_registry.storage.schema import asset_edges, assets, versions

# Keys per bulk read: well under SQLite's limit of bound parameters, and short IN lists.
_CHUNK = 300
_AssetKey = tuple[str, str, str]  # kind, namespace, name
PinLookup = Callable[[Reference, str, str], PinTarget]


@dataclass
class _Held:
    """Rows not yet written, per table, in the order the documents gave them."""

    assets: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    label_revisions: list[dict[str, Any]] = field(default_factory=list)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def lists(self) -> tuple[list[dict[str, Any]], ...]:
        return (self.assets, self.versions, self.label_revisions, self.dependencies, self.edges, self.events)

    def marks(self) -> tuple[int, ...]:
        return tuple(len(rows) for rows in self.lists())

    def truncate(self, marks: tuple[int, ...]) -> None:
        for rows, mark in zip(self.lists(), marks, strict=True):
            del rows[mark:]


class BatchedTransaction(SqlTransaction):
    """``inner`` (a SQL write transaction) with its registration inserts held until ``flush``.

    Reads of assets and versions answer from what the batch holds, then from the rows read by
    ``prefetch``, then from the database; reads that choose among an asset's versions flush
    first when the batch holds versions of that asset. Locks and savepoints are ``inner``'s.
    """

    def __init__(self, inner: SqlTransaction) -> None:
        super().__init__(inner.connection, inner.sql)
        self.inner = inner
        self.locks = inner.locks
        self._held = _Held()
        # What the batch wrote or holds, and what the database said before it.
        self._assets: dict[_AssetKey, AssetRow | None] = {}
        self._versions: dict[tuple[str, str], VersionRow | None] = {}  # (asset id, version key)
        self._new_versions: dict[str, VersionRow] = {}  # by id, held or written by the batch
        self._held_assets: set[str] = set()  # asset ids with held (unwritten) versions
        self._edges: set[tuple[str, str]] = set()
        self._depended_on: dict[str, bool] = {}  # asset id: has an edge to it
        self._pins: dict[tuple[Any, ...], PinTarget] = {}
        self._pins_of: dict[str, list[tuple[Any, ...]]] = {}  # asset id: the memo keys choosing in it
        self._new_assets: dict[str, AssetRow] = {}  # by id, created by the batch
        self._document: _Document | None = None

    # ------------------------------------------------------------- bulk reads
    def prefetch(
        self, names: Sequence[tuple[Kind, AssetName]], versions_of: Sequence[tuple[Kind, AssetName, str]]
    ) -> None:
        """Read in bulk the assets ``names``, the versions ``versions_of`` (kind, name, version
        key) of those that exist, and which of them something depends on."""
        wanted = sorted({(k.value, n.namespace, n.name) for k, n in names} - self._assets.keys())
        for chunk in _chunks(wanted):
            found = {}
            for r in self.connection.execute(
                sa.select(assets).where(sa.tuple_(assets.c.kind, assets.c.namespace, assets.c.name).in_(chunk))
            ):
                found[(r.kind, r.namespace, r.name)] = AssetRow(
                    r.id, Kind(r.kind), r.namespace, r.name, r.created_at, r.created_by
                )
            for key in chunk:
                self._assets[key] = found.get(key)
        pairs = sorted({
            (row.id, version_key)
            for kind, name, version_key in versions_of
            if (row := self._assets.get((kind.value, name.namespace, name.name))) is not None
        } - self._versions.keys())
        for chunk in _chunks(pairs):
            rows = self.connection.execute(
                self.sql.version_base.where(sa.tuple_(versions.c.asset_id, versions.c.version_key).in_(chunk))
            )
            found_versions = {(v.asset_id, v.version_key): v for v in map(version_row, rows)}
            for pair in chunk:
                self._versions[pair] = found_versions.get(pair)
        existing = {row.id for row in self._assets.values() if row is not None} - self._new_assets.keys()
        self._read_dependents(sorted(existing - self._depended_on.keys()))

    def _read_dependents(self, asset_ids: Sequence[str]) -> None:
        """Whether an edge leads to each of ``asset_ids``, as the database says now."""
        for chunk in _chunks(asset_ids):
            targets = set(
                self.connection.execute(
                    sa.select(asset_edges.c.to_asset_id).distinct().where(asset_edges.c.to_asset_id.in_(chunk))
                ).scalars()
            )
            for asset_id in chunk:
                self._depended_on[asset_id] = asset_id in targets or self._depended_on.get(asset_id, False)

    # ------------------------------------------------------------------ reads
    def find_asset(self, kind: Kind, name: AssetName) -> AssetRow | None:
        key = (kind.value, name.namespace, name.name)
        if key not in self._assets:
            self._assets[key] = super().find_asset(kind, name)
        return self._assets[key]

    def find_version(self, kind: Kind, name: AssetName, version_key: str) -> VersionRow | None:
        asset = self.find_asset(kind, name)
        if asset is None:
            return None
        pair = (asset.id, version_key)
        if pair not in self._versions:
            if asset.id in self._new_assets:  # created by the batch: it has only what the batch holds
                return None
            self._versions[pair] = super().find_version(kind, name, version_key)
        return self._versions[pair]

    def pin_target(self, choose: PinLookup, ref: Reference, code: str, field: str) -> PinTarget:
        """``choose(ref, code, field)`` (the version a dependency pins), remembered until the
        batch adds a version to the asset; a failure is not remembered (its field differs)."""
        key = (ref.kind, ref.name, ref.selector_type, ref.selector)
        found = self._pins.get(key)
        if found is None:
            self._flush_asset(ref.kind, ref.name)
            found = self._pins[key] = choose(ref, code, field)
            self._pins_of.setdefault(found.asset_id, []).append(key)
        return found

    def _flush_asset(self, kind: Kind, name: AssetName) -> None:
        asset = self._assets.get((kind.value, name.namespace, name.name))
        if asset is not None and asset.id in self._held_assets:
            self.flush()

    # Reads that choose among an asset's versions see the batch's versions once written.
    def find_version_by_digest(self, kind: Kind, name: AssetName, digest: str) -> VersionRow | None:
        self._flush_asset(kind, name)
        return super().find_version_by_digest(kind, name, digest)

    def find_digests(self, kind: Kind, name: AssetName, prefix: str, *, limit: int) -> list[str]:
        self._flush_asset(kind, name)
        return super().find_digests(kind, name, prefix, limit=limit)

    def find_version_by_alias(self, kind: Kind, name: AssetName, alias: str) -> VersionRow | None:
        self._flush_asset(kind, name)
        return super().find_version_by_alias(kind, name, alias)

    def iter_version_numbers(
        self, kind: Kind, name: AssetName, *, include_prerelease: bool, only_active: bool
    ) -> Iterator[tuple[str, str]]:
        self._flush_asset(kind, name)
        return super().iter_version_numbers(
            kind, name, include_prerelease=include_prerelease, only_active=only_active
        )

    def get_version_by_id(self, version_id: str) -> VersionRow:
        held = self._new_versions.get(version_id)
        return held if held is not None else super().get_version_by_id(version_id)

    def get_pin_target(self, version_id: str) -> PinTarget:
        held = self._new_versions.get(version_id)
        if held is not None:
            return PinTarget(held.id, held.asset_id, held.version, held.digest)
        return super().get_pin_target(version_id)

    def find_asset_path(self, sources: Sequence[str], target: str) -> list[str] | None:
        if target in sources:
            return [target]
        # Nothing can lead back to an asset nobody depends on (the common case): no read.
        if not self._depended_on.get(target, True):
            return None
        self.flush()
        return super().find_asset_path(sources, target)

    # ----------------------------------------------------------------- writes
    def get_or_create_asset(self, row: AssetRow) -> tuple[AssetRow, bool]:
        existing = self.find_asset(row.kind, AssetName(row.namespace, row.name))
        if existing is not None:
            return existing, False
        key = (row.kind.value, row.namespace, row.name)
        self._remember(self._assets, key, row)
        self._remember(self._new_assets, row.id, row)
        self._remember(self._depended_on, row.id, False)
        self._held.assets.append(asset_values(row))
        return row, True

    def insert_version(self, row: VersionRow, dependencies_: Sequence[DependencyRow]) -> None:
        values = version_values(row)
        held = self._held
        held.versions.append(values)
        held.label_revisions.append(label_revision_values(row, values["labels"]))
        held.dependencies.extend(dependency_values(row, d) for d in dependencies_)
        for target in sorted({d.target_asset_id for d in dependencies_}):
            edge = (row.asset_id, target)
            if edge not in self._edges:
                self._remember_edge(edge)
                held.edges.append({"from_asset_id": row.asset_id, "to_asset_id": target})
        self._remember(self._versions, (row.asset_id, row.version_key), row)
        self._remember(self._new_versions, row.id, row)
        if row.asset_id not in self._held_assets:
            self._held_assets.add(row.asset_id)
            if self._document is not None:
                self._document.held_assets.append(row.asset_id)
        # What ranges chose in this asset may now be another version.
        for key in self._pins_of.pop(row.asset_id, ()):
            self._pins.pop(key, None)

    def append_event(
        self, *, type: str, subject: str, asset: str | None, actor: str, at: str, payload: dict[str, Any]
    ) -> None:
        self._held.events.append(
            {
                "id": new_id(),
                "type": str(type),
                "subject": subject,
                "asset": asset,
                "actor": actor,
                "created_at": at,
                "payload": dump_json(payload),
            }
        )

    def flush(self) -> None:
        """Write what the batch holds, one executemany per table."""
        document = self._document
        if document is not None and document.savepoint is None:
            # Written inside a document that may yet fail: what the earlier documents hold is
            # theirs to keep, what this one holds goes if it fails.
            self._write(document.marks)
            document.savepoint = ExitStack()
            document.savepoint.enter_context(self.inner.savepoint())
        self._write(None)
        if document is not None:
            document.marks = self._held.marks()
        self._held_assets.clear()

    def _write(self, upto: tuple[int, ...] | None) -> None:
        held = self._held
        marks = held.marks() if upto is None else upto
        parts = [rows[:mark] for rows, mark in zip(held.lists(), marks, strict=True)]
        new_assets, new_versions, label_revisions, dependencies_, edges, events = parts
        connection, sql = self.connection, self.sql
        if new_assets:
            sql.bulk_assets.execute(connection, new_assets)
        if new_versions:
            sql.bulk_versions.execute(connection, new_versions)
        if label_revisions:
            sql.bulk_label_revisions.execute(connection, label_revisions)
        if dependencies_:
            sql.bulk_dependencies.execute(connection, dependencies_)
        if edges:
            sql.bulk_edges.execute(connection, edges)
        if events:
            self.inner.before_event()
            sql.bulk_events.execute(connection, events)
        for rows, written in zip(held.lists(), parts, strict=True):
            del rows[: len(written)]

    # ------------------------------------------------------ document scopes
    @contextmanager
    def document(self) -> Iterator[None]:
        """One document of a batch that goes on after failures: when it fails, nothing it held
        or wrote stays (a savepoint is taken only if it had to write)."""
        document = self._document = _Document(self._held.marks())
        try:
            yield
        except BaseException as exc:
            if document.savepoint is not None:
                document.savepoint.__exit__(type(exc), exc, exc.__traceback__)
            self._held.truncate(document.marks)
            for undo in reversed(document.undo):
                undo()
            for asset_id in document.held_assets:
                self._held_assets.discard(asset_id)
            raise
        else:
            if document.savepoint is not None:
                document.savepoint.close()
        finally:
            self._document = None

    def _remember(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        """``table[key] = value``, undone if the current document fails."""
        document = self._document
        if document is not None:
            if key in table:
                previous = table[key]
                document.undo.append(lambda: table.__setitem__(key, previous))
            else:
                document.undo.append(lambda: table.pop(key, None))
        table[key] = value

    def _remember_edge(self, edge: tuple[str, str]) -> None:
        self._edges.add(edge)
        self._remember(self._depended_on, edge[1], True)
        if self._document is not None:
            self._document.undo.append(lambda: self._edges.discard(edge))

    # ----------------------------------------------------- locks: the inner's
    def lock_dependency_graph(self) -> None:
        held = len(self.inner.locks)
        self.inner.lock_dependency_graph()
        if len(self.inner.locks) > held:
            # Taken just now (PostgreSQL): edges other writers committed since the bulk read
            # count for the cycle checks from here on, so read again what the database says.
            edge_targets = {target for _, target in self._edges}
            for asset_id in self._depended_on:
                self._depended_on[asset_id] = asset_id in edge_targets
            self._read_dependents(sorted(self._depended_on.keys() - self._new_assets.keys()))

    def lock_asset(self, asset_id: str) -> bool:
        return self.inner.lock_asset(asset_id)

    def before_event(self) -> None:
        self.inner.before_event()


@dataclass
class _Document:
    marks: tuple[int, ...]
    savepoint: ExitStack | None = None
    undo: list[Callable[[], Any]] = field(default_factory=list)
    held_assets: list[str] = field(default_factory=list)


def _chunks(items: Sequence[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        yield chunk
