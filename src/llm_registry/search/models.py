"""What search answers: a page of versions with facet counts, and suggestions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from llm_registry.domain.kinds import Kind
from llm_registry.search.filters import Field, Node


class Sort(StrEnum):
    RELEVANCE = "relevance"  # best text match first (needs a query)
    CREATED = "created"  # newest first
    UPDATED = "updated"  # most recently changed first
    NAME = "name"  # A to Z
    POPULARITY = "popularity"  # most pinned first


class SearchHit(BaseModel):
    ref: str
    kind: Kind
    name: str
    version: str
    status: str
    description: str | None
    license: str | None
    tags: list[str]
    created_at: str
    updated_at: str
    popularity: int
    score: float | None = None


class SearchPage(BaseModel):
    """``{"items", "next_cursor", "facets"}``: facets map a field to its values' counts."""

    items: list[SearchHit]
    next_cursor: str | None = None
    facets: dict[str, dict[str, int]] = {}


class Suggestion(BaseModel):
    """A completion for a search box: an asset (``ref`` set) or a tag."""

    text: str
    type: str  # "asset" or "tag"
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated search, as the index runs it."""

    terms: tuple[str, ...]
    filter: Node | None
    sort: Sort
    all_versions: bool
    after: tuple[object, ...] | None
    limit: int
    facets: tuple[Field, ...]
