"""The contracts of search: an index kept in the writer's transaction, queried in the reader's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from llm_registry.assets.interfaces import AssetReader, AssetWriter, VersionRow
from llm_registry.search.models import SearchQuery


@dataclass(frozen=True, slots=True)
class HitRow:
    doc_id: int
    kind: str
    namespace: str
    name: str
    version: str
    status: str
    description: str | None
    license: str | None
    tags: list[str]
    created_at: str
    updated_at: str
    popularity: int
    score: float | None


class SearchIndexer(Protocol):
    """What the asset service calls inside its write transactions: each change to the index
    commits or rolls back with the change to the version."""

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


class SearchIndex(SearchIndexer, Protocol):
    """The indexer, and the reads the search service runs in a transaction it opened."""

    def search(self, tx: AssetReader, query: SearchQuery) -> tuple[list[HitRow], dict[str, dict[str, int]]]:
        """One page (``query.limit`` rows after ``query.after``) and, for each of ``query.facets``,
        the counts of its most frequent values over every match: one statement."""
        ...

    def suggest(self, tx: AssetReader, prefix: str, limit: int) -> list[tuple[str, str, str | None]]:
        """(text, type, ref) completions of ``prefix``: asset names, then tags."""
        ...
