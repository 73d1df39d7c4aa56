"""The storage contract for assets, versions, aliases, dependencies and their events.

The service opens a transaction (``read()`` or ``write()``) and calls these primitives;
all rules live in the service. A ``write()`` transaction is serialised against other
writers and commits everything (the change and its event) or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName

if TYPE_CHECKING:
    from llm_registry.domain.references import Reference
    from llm_registry.events.models import Event


@dataclass(frozen=True, slots=True)
class AssetRow:
    id: str
    kind: Kind
    namespace: str
    name: str
    created_at: str
    created_by: str


@dataclass(slots=True)
class VersionRow:
    id: str
    asset_id: str
    kind: Kind
    namespace: str
    name: str
    version: str
    version_key: str
    major: int
    minor: int
    patch: int
    prerelease_key: str
    is_prerelease: bool
    status: str
    status_message: str | None
    replacement: str | None
    digest: str
    document_digest: str
    spec: dict[str, Any]
    content: dict[str, Any] | None
    dependencies: list[dict[str, Any]]
    pins: list[dict[str, Any]]
    provenance: dict[str, Any] | None
    labels: dict[str, Any]
    revision: int
    created_at: str
    created_by: str
    updated_at: str
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PinTarget:
    """The version a dependency constraint chose, as the pin records it."""

    id: str
    asset_id: str
    version: str
    digest: str


@dataclass(frozen=True, slots=True)
class DependencyRow:
    position: int
    ref: str
    relation: str
    target_asset_id: str
    target_version_id: str
    target_version: str
    target_digest: str


@dataclass(frozen=True, slots=True)
class AliasRow:
    name: str
    version: str
    version_id: str
    updated_at: str
    updated_by: str


@dataclass(frozen=True, slots=True)
class DependentRow:
    """A version that pins another: who depends, how, on which constraint."""

    kind: Kind
    namespace: str
    name: str
    version: str
    relation: str
    ref: str


@dataclass(frozen=True, slots=True)
class AssetListRow:
    asset: AssetRow
    version_count: int
    latest: str | None
    aliases: dict[str, str]


@dataclass(frozen=True, slots=True)
class LabelRevisionRow:
    revision: int
    labels: dict[str, Any]
    created_at: str
    created_by: str


class VersionReader(Protocol):
    """The reads that choose a version by reference and list an asset's versions."""

    def find_asset(self, kind: Kind, name: AssetName) -> AssetRow | None: ...

    def find_version(self, kind: Kind, name: AssetName, version_key: str) -> VersionRow | None: ...

    def find_version_by_digest(self, kind: Kind, name: AssetName, digest: str) -> VersionRow | None: ...

    def find_version_by_alias(self, kind: Kind, name: AssetName, alias: str) -> VersionRow | None: ...

    def find_digests(self, kind: Kind, name: AssetName, prefix: str, *, limit: int) -> list[str]:
        """The distinct digests of the asset's versions that start with ``prefix``, in order, at most ``limit``."""
        ...

    def iter_version_numbers(
        self, kind: Kind, name: AssetName, *, include_prerelease: bool, only_active: bool
    ) -> Iterator[tuple[str, str]]:
        """(id, version) of an asset's versions, highest SemVer precedence first; never yanked
        ones, only active ones when asked, prereleases only when asked."""
        ...

    def get_version_by_id(self, version_id: str) -> VersionRow: ...

    def get_pin_target(self, version_id: str) -> PinTarget:
        """What a dependency pins of a version: its id, asset, version text and digest (a narrow
        read, for registrations, which pin every dependency)."""
        ...

    def list_versions(self, asset_id: str, *, before: tuple[int, int, int, str] | None, limit: int) -> list[VersionRow]:
        """A page of versions in descending precedence, strictly below ``before``."""
        ...

    def find_label_revision_at(self, version_id: str, moment: str) -> LabelRevisionRow | None:
        """The label revision in force at ``moment`` (the last one created at or before it)."""
        ...


class AssetReader(VersionReader, Protocol):

    def list_assets(
        self,
        *,
        kind: Kind | None,
        namespace: str | None,
        name: str | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> list[AssetListRow]:
        """A page of assets ordered by (kind, namespace, name), strictly after ``after``, with
        each one's version count, latest active release and aliases (a fixed number of queries)."""
        ...

    def list_aliases(self, asset_id: str, *, after: str | None = None, limit: int | None = None) -> list[AliasRow]:
        """The asset's aliases by name, strictly after ``after``, at most ``limit`` (None: all)."""
        ...

    def find_alias(self, asset_id: str, alias: str) -> AliasRow | None: ...

    def list_dependents(self, version_id: str) -> list[DependentRow]: ...

    def list_label_revisions(
        self, version_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[LabelRevisionRow]:
        """A version's label revisions above ``after``, oldest first, at most ``limit`` (None: all)."""
        ...

    def find_asset_path(self, sources: Sequence[str], target: str) -> list[str] | None:
        """Asset ids on a dependency path from one of ``sources`` to ``target`` (None if unreachable)."""
        ...

    def describe_assets(self, asset_ids: Sequence[str]) -> dict[str, str]:
        """``kind:namespace/name`` of each asset id."""
        ...

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
    ) -> list[Event]: ...


class AssetWriter(AssetReader, Protocol):
    def get_or_create_asset(self, row: AssetRow) -> tuple[AssetRow, bool]: ...

    def insert_version(self, row: VersionRow, dependencies: Sequence[DependencyRow]) -> None: ...

    def update_labels(self, version_id: str, labels: dict[str, Any], revision: int, at: str, by: str) -> None: ...

    def update_status(
        self, version_id: str, status: str, message: str | None, replacement: str | None, at: str
    ) -> None: ...

    def delete_version(self, row: VersionRow) -> None:
        """Delete a version, its aliases, and refresh its asset's edges; pins on it become dangling."""
        ...

    def set_alias(self, asset_id: str, alias: str, version_id: str, at: str, by: str) -> None: ...

    def delete_alias(self, asset_id: str, alias: str) -> bool: ...

    def lock_dependency_graph(self) -> None:
        """Keep the asset graph from changing under a cycle check until commit."""
        ...

    def lock_asset(self, asset_id: str) -> bool:
        """Hold the asset (its versions' labels and status, its aliases) against other writers
        until commit, so that read-modify-writes of one asset run one after the other. True when
        the lock was taken now and what was read before it may be stale (read it again); False
        when writers are serialised anyway (SQLite's single writer)."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint: an error inside rolls back what was written inside (and propagates);
        the transaction goes on."""
        ...

    def append_event(
        self, *, type: str, subject: str, asset: str | None, actor: str, at: str, payload: dict[str, Any]
    ) -> None: ...

    def batched(self) -> BatchWriter:
        """This transaction, holding registration inserts until ``flush`` writes them per table."""
        ...


class BatchWriter(AssetWriter, Protocol):
    """A write transaction for batch registration: inserts are held and written in bulk by
    ``flush``; reads answer as if every held row were written."""

    def prefetch(
        self, names: Sequence[tuple[Kind, AssetName]], versions_of: Sequence[tuple[Kind, AssetName, str]]
    ) -> None:
        """Read in bulk the assets ``names`` and the versions ``versions_of`` (kind, name, version key)."""
        ...

    def pin_target(
        self, choose: Callable[[Reference, str, str], PinTarget], ref: Reference, code: str, field: str
    ) -> PinTarget:
        """``choose(ref, code, field)``, remembered until the batch adds a version to its asset."""
        ...

    def document(self) -> AbstractContextManager[None]:
        """One document: when it fails, nothing it held or wrote stays."""
        ...

    def flush(self) -> None:
        """Write every held row."""
        ...


class VersionStore(Protocol):
    """A database that can be read for versions; every AssetStore is one."""

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    def read(self) -> AbstractContextManager[VersionReader]: ...

    def close(self) -> None: ...


class AssetStore(Protocol):
    """A database holding the registry."""

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    def read(self) -> AbstractContextManager[AssetReader]: ...

    def write(self) -> AbstractContextManager[AssetWriter]: ...

    def last_event_cursor(self) -> int: ...

    def close(self) -> None: ...


class SearchIndexer(Protocol):
    """What the asset services call inside their write transactions (the search domain implements
    it): each change to the index commits or rolls back with the change to the version."""

    def index_version(self, tx: AssetWriter, row: VersionRow, pinned_assets: Sequence[str]) -> None:
        """Index a newly registered version; ``pinned_assets`` are the asset ids it pins."""
        ...

    def index_versions(self, tx: AssetWriter, items: Sequence[tuple[VersionRow, Sequence[str]]]) -> None:
        """Index newly registered versions at once (a batch), each with the asset ids it pins."""
        ...

    def update_version(self, tx: AssetWriter, row: VersionRow) -> None:
        """Re-index a version whose labels or status changed."""
        ...

    def remove_version(self, tx: AssetWriter, row: VersionRow) -> None:
        """Drop a version about to be deleted (called before the delete, in its transaction)."""
        ...
