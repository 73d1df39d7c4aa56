"""The contracts of search: an index kept in the writer's transaction (``SearchIndexer``, which
the asset domain declares as what it needs), queried in the reader's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from llm_registry.assets.interfaces import AssetReader, SearchIndexer
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


class SearchIndex(SearchIndexer, Protocol):
    """The indexer, and the reads the search service runs in a transaction it opened."""

    def search(self, tx: AssetReader, query: SearchQuery) -> tuple[list[HitRow], dict[str, dict[str, int]]]:
        """One page (``query.limit`` rows after ``query.after``) and, for each of ``query.facets``,
        the counts of its most frequent values over every match: one statement."""
        ...

    def suggest(self, tx: AssetReader, prefix: str, limit: int) -> list[tuple[str, str, str | None]]:
        """(text, type, ref) completions of ``prefix``: asset names, then tags."""
        ...
