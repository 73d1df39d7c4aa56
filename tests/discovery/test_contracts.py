"""The storage contracts of search and lineage, called as their services call them: with the
transaction the asset store opened. Each backend's implementation runs through the same cases."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from llm_registry import bootstrap
from llm_registry.assets.interfaces import AssetReader, VersionRow
from llm_registry.assets.resolution import get_by_reference
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.lineage.interfaces import LineageStore
from llm_registry.lineage.models import Direction
from llm_registry.lineage.store_sql import SqlLineageStore
from llm_registry.search.cursors import KEYSETS, cursor_arity
from llm_registry.search.filters import Field, Node, parse_filter
from llm_registry.search.interfaces import HitRow, SearchIndex
from llm_registry.search.models import SearchQuery, Sort
from llm_registry.search.store_postgres import PostgresSearchIndex
from llm_registry.search.store_sqlite import Fts5SearchIndex

RAG = "pipeline:acme/rag@1.0.0"
BASE = "model:meta/llama-3-8b@1.0.0"
TUNED_1 = "model:acme/llama-support@1.0.0"
TUNED_2 = "model:acme/llama-support@2.0.0"


class Rollback(Exception):
    """Raised to leave a write transaction without committing it."""


@contextmanager
def rolled_back(registry: EmbeddedRegistry) -> Iterator[Any]:
    """A write transaction of the store, rolled back at the end."""
    with suppress(Rollback), registry.store.write() as tx:
        yield tx
        raise Rollback


def query(
    terms: tuple[str, ...] = (), filter: Node | None = None, *, sort: Sort = Sort.NAME, facets: tuple[Field, ...] = ()
) -> SearchQuery:
    return SearchQuery(terms, filter, sort, all_versions=False, after=None, limit=50, facets=facets)


def refs(hits: list[HitRow]) -> list[str]:
    return [f"{h.kind}:{h.namespace}/{h.name}@{h.version}" for h in hits]


def version(registry: EmbeddedRegistry, tx: AssetReader, ref: str) -> VersionRow:
    return get_by_reference(tx, registry.services.context.parse_reference(ref))


@pytest.fixture
def index(corpus: EmbeddedRegistry) -> SearchIndex:
    """A search index of the store's backend, apart from the one the asset service keeps."""
    built = bootstrap.build_search_index(corpus.store)
    expected = {"sqlite": Fts5SearchIndex, "postgresql": PostgresSearchIndex}[corpus.store.backend]
    assert type(built) is expected
    return built


def test_search_and_suggest_read_in_the_given_transaction(corpus: EmbeddedRegistry, index: SearchIndex) -> None:
    with corpus.store.read() as tx:
        hits, counts = index.search(tx, query(("support",), facets=(Field("kind"),)))
        assert TUNED_2 in refs(hits)
        assert counts == {"kind": {"dataset": 1, "model": 1, "prompt": 1}}
        hits, counts = index.search(tx, query(filter=parse_filter('name = "llama-support"')))
        assert (refs(hits), counts) == ([TUNED_2], {})
        assert index.suggest(tx, "acme/tri", 5) == [("acme/triage", "asset", "prompt:acme/triage")]


def test_index_writes_commit_or_roll_back_with_the_transaction(corpus: EmbeddedRegistry, index: SearchIndex) -> None:
    reranker = query(("reranker",))
    with rolled_back(corpus) as tx:
        row = version(corpus, tx, RAG)
        index.update_version(tx, dataclasses.replace(row, labels={**row.labels, "tags": ["reranker"]}))
        assert refs(index.search(tx, reranker)[0]) == [RAG]
    with corpus.store.read() as tx:
        assert index.search(tx, reranker)[0] == []


def test_removing_a_version_moves_current_in_the_same_transaction(
    corpus: EmbeddedRegistry, index: SearchIndex
) -> None:
    by_name = query(filter=parse_filter('name = "llama-support"'))
    with rolled_back(corpus) as tx:
        index.remove_version(tx, version(corpus, tx, TUNED_2))
        assert refs(index.search(tx, by_name)[0]) == [TUNED_1]
    with corpus.store.read() as tx:
        assert refs(index.search(tx, by_name)[0]) == [TUNED_2]


def test_lineage_store_walks_in_the_given_transaction(corpus: EmbeddedRegistry) -> None:
    store: LineageStore = SqlLineageStore()
    with corpus.store.read() as tx:
        rag, base = version(corpus, tx, RAG), version(corpus, tx, BASE)
        up = store.walk(tx, [rag.id], Direction.UP, depth=None, relations=())
        assert {(e.source.ref, e.target.ref, e.relation) for e in up} == {
            (RAG, TUNED_1, "uses"),
            (TUNED_1, BASE, "derived_from"),
            (TUNED_1, "dataset:acme/support-tickets@1.0.0", "trained_on"),
        }
        assert store.walk(tx, [rag.id], Direction.UP, depth=1, relations=["derived_from"]) == []
        edges, facts = store.dependents(tx, base.id, relations=())
        assert sorted(f.ref for f in facts.values()) == [TUNED_1, TUNED_2, RAG]
        assert len(edges) == 3
        found = store.find_versions(tx, [("model", "meta", "llama-3-8b", "1.0.0"), ("model", "meta", "none", "1.0.0")])
        assert [n.ref for n in found.values()] == [BASE]


def test_sql_stores_refuse_a_transaction_that_is_not_theirs(index: SearchIndex) -> None:
    not_sql: Any = object()
    with pytest.raises(TypeError, match="not a SQL transaction"):
        index.search(not_sql, query())
    with pytest.raises(TypeError, match="not a SQL transaction"):
        SqlLineageStore().walk(not_sql, ["v"], Direction.UP, depth=None, relations=())


def test_every_sort_has_a_keyset_ending_in_the_document_id() -> None:
    assert set(KEYSETS) == set(Sort)
    for sort, keyset in KEYSETS.items():
        assert keyset.fields[-1] == "doc_id"
        assert set(keyset.fields) <= {f.name for f in dataclasses.fields(HitRow)}
        assert cursor_arity(sort) == len(keyset.fields)
