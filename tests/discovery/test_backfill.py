"""Migration 0002 indexes the versions a registry already holds as registration would have."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.storage import migrate

SEARCHES: list[dict[str, Any]] = [
    {"query": "support", "facets": ["kind", "tags", "spec.architecture", "annotations.team"]},
    {"query": "llama", "all_versions": True},
    {"filter": "spec.context_length >= 8192 AND annotations.team = nlp", "all_versions": True},
    {"filter": "spec.template ~ ticket"},
    {"sort": "popularity", "facets": ["name", "status"]},
]


def _answers(registry: EmbeddedRegistry) -> list[Any]:
    answers = []
    for search in SEARCHES:
        page = registry.search(**search, limit=100)
        # Sorted: equal scores are ordered by document id, which the backfill assigns anew.
        answers.append((sorted((hit.ref, hit.popularity, hit.score) for hit in page.items), page.facets))
    return answers


def test_the_backfill_indexes_what_registration_indexes(corpus: EmbeddedRegistry) -> None:
    corpus.yank("model:acme/llama-support@2.0.0")  # its asset's current version is then 1.0.0
    before = _answers(corpus)
    engine: sa.Engine = corpus.store.engine  # type: ignore[attr-defined]
    migrate.downgrade(engine, "0001")
    migrate.upgrade(engine)
    assert _answers(corpus) == before
