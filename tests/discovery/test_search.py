"""Search: text ranking, filters, facets, sorts, cursors and query counts, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ValidationError
from llm_registry.search.filters import parse_filter
from tests.discovery.conftest import QueryCounter, manifest


def refs(page: Any) -> list[str]:
    return [hit.ref for hit in page.items]


def test_text_search_ranks_name_over_description_over_body(corpus: EmbeddedRegistry) -> None:
    page = corpus.search("llama")
    assert refs(page)[:2] == ["model:acme/llama-support@2.0.0", "model:meta/llama-3-8b@1.0.0"] or refs(page)[:2] == [
        "model:meta/llama-3-8b@1.0.0", "model:acme/llama-support@2.0.0"]
    # Name hits first, then the card and the template that only mention it.
    assert set(refs(page)[2:]) == {"model:beta/mistral-chat@1.0.0", "prompt:acme/triage@1.0.0"}
    scores = [hit.score for hit in page.items]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert refs(corpus.search("tickets support")) [0] == "dataset:acme/support-tickets@1.0.0"
    assert corpus.search("nonexistentword").items == []


def test_latest_per_asset_by_default_and_all_versions(corpus: EmbeddedRegistry) -> None:
    assert refs(corpus.search(filter='name = "llama-support"')) == ["model:acme/llama-support@2.0.0"]
    everything = corpus.search(filter='name = "llama-support"', all_versions=True, sort="name")
    assert sorted(refs(everything)) == ["model:acme/llama-support@1.0.0", "model:acme/llama-support@2.0.0"]
    corpus.yank("model:acme/llama-support@2.0.0")
    assert refs(corpus.search(filter='name = "llama-support"')) == ["model:acme/llama-support@1.0.0"]
    corpus.restore("model:acme/llama-support@2.0.0")
    corpus.delete("model:acme/llama-support@2.0.0")
    assert refs(corpus.search("long context")) == []
    assert refs(corpus.search(filter='name = "llama-support"')) == ["model:acme/llama-support@1.0.0"]


def test_label_changes_are_searchable_at_once(corpus: EmbeddedRegistry) -> None:
    corpus.label("pipeline:acme/rag@1.0.0", description="Retrieval with reranker", tags=["reranker"])
    assert refs(corpus.search("reranker")) == ["pipeline:acme/rag@1.0.0"]
    assert refs(corpus.search(filter="tags = reranker")) == ["pipeline:acme/rag@1.0.0"]


FILTER_CASES: list[tuple[str, set[str]]] = [
        ('kind = model AND license = "apache-2.0"',
         {"model:acme/llama-support@2.0.0", "model:beta/mistral-chat@1.0.0"}),
        ("spec.context_length >= 32768", {"model:acme/llama-support@2.0.0", "model:beta/mistral-chat@1.0.0"}),
        ("spec.parameters >= 7e9 AND spec.parameters < 8e9", {"model:beta/mistral-chat@1.0.0"}),
        ('spec.architecture = "llama" AND NOT namespace = meta', {"model:acme/llama-support@2.0.0"}),
        ("annotations.team = nlp", {"model:acme/llama-support@2.0.0"}),
        ("annotations.team != nlp AND kind = model", {"model:meta/llama-3-8b@1.0.0", "model:beta/mistral-chat@1.0.0"}),
        ("tags IN (rag, base)", {"pipeline:acme/rag@1.0.0", "model:meta/llama-3-8b@1.0.0"}),
        ("tags ~ 'sup*' AND kind IN (prompt, dataset)", {"prompt:acme/triage@1.0.0",
                                                         "dataset:acme/support-tickets@1.0.0"}),
        ("name ~ llama* AND namespace = acme", {"model:acme/llama-support@2.0.0"}),
        ("license = null", {"pipeline:acme/rag@1.0.0"}),
        ("NOT license = null AND kind NOT IN (model, dataset)", {"prompt:acme/triage@1.0.0"}),
        ('spec.rows > 1000 OR (spec.format = "jsonl")', {"dataset:acme/support-tickets@1.0.0"}),
        ('spec.architecture = 5 OR spec.parameters = "big"', set()),
        ("created_at >= 2000-01-01 AND created_at < 2999-01-01 AND kind = pipeline", {"pipeline:acme/rag@1.0.0"}),
        ("created_at < 2000-01-01T00:00:00Z", set()),
        ("status = active AND version = 1.0.0 AND kind = pipeline", {"pipeline:acme/rag@1.0.0"}),
        # Long texts of the spec (card, template) are read from the version, the rest from the index.
        ("spec.card ~ llama", {"model:beta/mistral-chat@1.0.0"}),
        ('spec.template ~ "support ticket" OR spec.card = "Long context chat model"',
         {"prompt:acme/triage@1.0.0", "model:acme/llama-support@2.0.0"}),
]


def test_filters(corpus: EmbeddedRegistry) -> None:
    for expression, expected in FILTER_CASES:
        assert set(refs(corpus.search(filter=expression, limit=100))) == expected, expression


def test_text_with_filters_and_facets(corpus: EmbeddedRegistry, count_queries: QueryCounter) -> None:
    with count_queries() as statements:
        page = corpus.search("support", facets=["kind", "license", "tags", "spec.architecture", "status", "namespace"])
    assert len(statements) == 1, statements  # the page and the facets together
    assert page.facets == {
        "kind": {"model": 1, "dataset": 1, "prompt": 1},
        "license": {"apache-2.0": 1, "cc-by-4.0": 1, "mit": 1},
        "tags": {"support": 3, "chat": 1, "english": 1},
        "spec.architecture": {"llama": 1},
        "status": {"active": 3},
        "namespace": {"acme": 3},
    }
    filtered = corpus.search("support", filter="kind = model", facets=["license"])
    assert refs(filtered) == ["model:acme/llama-support@2.0.0"]
    assert filtered.facets == {"license": {"apache-2.0": 1}}
    with count_queries() as statements:
        corpus.search(filter="spec.context_length > 1", kind="model", sort="popularity")
    assert len(statements) == 1, statements


def test_facets_without_text_on_spec_paths_and_annotations(corpus: EmbeddedRegistry) -> None:
    page = corpus.search(kind="model", facets=["spec.architecture", "annotations.team", "spec.card", "namespace"])
    assert page.facets == {
        "spec.architecture": {"llama": 2, "mistral": 1},
        "annotations.team": {"nlp": 1, "search": 1},
        "spec.card": {"Long context chat model": 1, "Tuned from llama data": 1},
        "namespace": {"acme": 1, "beta": 1, "meta": 1},
    }
    first = corpus.search(kind="model", facets=["namespace"], limit=1)
    assert first.facets == {"namespace": {"acme": 1, "beta": 1, "meta": 1}}
    assert corpus.search(kind="model", facets=["namespace"], limit=1, cursor=first.next_cursor).facets == {}


def test_a_facet_shows_its_fifty_most_frequent_values(registry: EmbeddedRegistry) -> None:
    for i in range(60):
        tags = [f"t{i:02}", "common"] if i < 30 else [f"t{i:02}"]
        registry.register(manifest("dataset", f"many/d{i:02}", labels={"tags": tags}))
    page = registry.search(facets=["tags", "name"], limit=1)
    # Most frequent first, ties by value; the same cut on both databases.
    assert list(page.facets["tags"].items()) == [("common", 30)] + [(f"t{i:02}", 1) for i in range(49)]
    assert list(page.facets["name"]) == [f"d{i:02}" for i in range(50)]


def test_text_search_follows_the_current_version(corpus: EmbeddedRegistry) -> None:
    one, two = "model:acme/llama-support@1.0.0", "model:acme/llama-support@2.0.0"
    assert refs(corpus.search("fine-tune")) == [two]
    corpus.yank(two)
    assert refs(corpus.search("fine-tune")) == [one]
    assert sorted(refs(corpus.search("fine-tune", all_versions=True))) == [one, two]
    corpus.restore(two)
    assert refs(corpus.search("fine-tune")) == [two]
    corpus.label(two, description="Renamed")  # its text is written again, and stays current
    assert refs(corpus.search("renamed")) == [two]
    assert refs(corpus.search("fine-tune")) == []
    corpus.delete(two)
    assert refs(corpus.search("fine-tune")) == [one]


def test_cursor_pages_cover_everything_once(corpus: EmbeddedRegistry) -> None:
    for sort in ["created", "updated", "name", "popularity", "relevance"]:
        _pages_cover_everything(corpus, sort, "support" if sort == "relevance" else None)


def _pages_cover_everything(corpus: EmbeddedRegistry, sort: str, query: str | None) -> None:
    whole = refs(corpus.search(query, sort=sort, all_versions=True, limit=100))
    seen: list[str] = []
    cursor = None
    for _ in range(100):  # a cursor that never ends must fail, not hang
        page = corpus.search(query, sort=sort, all_versions=True, limit=2, cursor=cursor)
        seen += refs(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == whole
    assert len(set(seen)) == len(seen)


def test_sorts(corpus: EmbeddedRegistry) -> None:
    names = [h.name for h in corpus.search(sort="name", limit=100).items]
    assert names == sorted(names, key=lambda n: (n.split("/")[1], n.split("/")[0]))
    popular = corpus.search(sort="popularity", limit=3).items
    assert popular[0].ref == "model:meta/llama-3-8b@1.0.0"
    assert popular[0].popularity == 2
    created = [h.created_at for h in corpus.search(sort="created", limit=100).items]
    assert created == sorted(created, reverse=True)


def test_suggestions(corpus: EmbeddedRegistry, count_queries: QueryCounter) -> None:
    with count_queries() as statements:
        found = corpus.suggest("ll")
    assert [s.text for s in found][:2] == ["meta/llama-3-8b", "acme/llama-support"]
    assert len(statements) == 2
    assert [s.model_dump() for s in corpus.suggest("eng")] == [{"text": "english", "type": "tag", "ref": None}]
    assert [s.ref for s in corpus.suggest("acme/tri")] == ["prompt:acme/triage"]


INVALID_FILTERS = [("kind = ", 8), ("kind == model", 7), ("colour = red", 1), ("(kind = model", 14), ("tags < 3", 6),
     ('name = "open', 8), ("created_at > yesterday", 14), ("kind = model AND", 17), ("spec. = 1", 1),
     ("kind = model extra", 14), ("NOT", 4), ("kind IN ()", 10), ("a ! b", 3)]


def test_invalid_filters_point_at_the_column(registry: EmbeddedRegistry) -> None:
    for expression, column in INVALID_FILTERS:
        with pytest.raises(ValidationError) as info:
            registry.search(filter=expression)
        error = info.value
        assert (error.code, error.field, error.details["column"]) == ("invalid_filter", "filter", column), expression
        assert f"column {column}" in error.message


def test_invalid_parameters(corpus: EmbeddedRegistry) -> None:
    for kwargs, field in [({"sort": "random"}, "sort"), ({"sort": "relevance"}, "sort"), ({"limit": 0}, "limit"),
                          ({"facets": ["description"]}, "facets"), ({"cursor": "!!"}, "cursor")]:
        with pytest.raises(ValidationError) as info:
            corpus.search(**kwargs)
        assert info.value.field == field
    cursor = corpus.search(sort="name", limit=1).next_cursor
    with pytest.raises(ValidationError) as info:
        corpus.search(sort="created", cursor=cursor)
    assert info.value.code == "invalid_cursor"


# ----------------------------------------------------------------- fuzzing
_FIELDS = st.sampled_from(["kind", "namespace", "name", "license", "status", "tags", "created_at", "version",
                           "spec.parameters", "spec.architecture", "spec.a.b", "annotations.team"])
_VALUES = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\"\\\x00"), max_size=12).map(lambda t: f'"{t}"'),
    st.sampled_from(["true", "false", "null", "2026-01-02", "2026-01-02T03:04:05Z", "model", "llama*"]),
)
_OPERATORS = st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "~"])
_COMPARISON = st.builds(lambda f, o, v: f"{f} {o} {v}", _FIELDS, _OPERATORS,
                        _VALUES)
_EXPRESSION = st.recursive(
    _COMPARISON,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} AND {b}", inner, inner),
        st.builds(lambda a, b: f"({a}) OR ({b})", inner, inner),
        inner.map(lambda a: f"NOT ({a})"),
    ),
    max_leaves=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=40), _EXPRESSION))
def test_fuzzed_filters_never_crash(corpus: EmbeddedRegistry, text: str) -> None:
    if not text.strip():  # a blank filter is no filter
        corpus.search(filter=text)
        return
    try:
        parse_filter(text)
    except ValidationError:
        # Invalid input: the search refuses it with invalid_filter, and nothing else.
        with pytest.raises(ValidationError) as info:
            corpus.search(filter=text)
        assert info.value.code == "invalid_filter"
        return
    corpus.search(filter=text, facets=["tags"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expression=_EXPRESSION)
def test_negation_is_the_complement(corpus: EmbeddedRegistry, expression: str) -> None:
    try:
        parse_filter(expression)
    except ValidationError:
        return  # a generated value that does not suit its field (e.g. tags < 3)
    everything = set(refs(corpus.search(limit=1000)))
    matched = set(refs(corpus.search(filter=expression, limit=1000)))
    unmatched = set(refs(corpus.search(filter=f"NOT ({expression})", limit=1000)))
    assert matched | unmatched == everything
    assert not matched & unmatched
