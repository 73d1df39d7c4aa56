"""The search service: validates a search, runs it as one statement (the page and, on the first
page, the facet counts), and shapes the page."""

from __future__ import annotations

import re
from collections.abc import Sequence

from llm_registry.assets.interfaces import AssetStore
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.errors import ValidationError
from llm_registry.search.cursors import decode_after, encode_after
from llm_registry.search.filters import And, Comparison, Field, Node, Value, parse_field, parse_filter
from llm_registry.search.interfaces import HitRow, SearchIndex
from llm_registry.search.models import SearchHit, SearchPage, SearchQuery, Sort, Suggestion

MAX_LIMIT = 1000
MAX_TERMS = 32
MAX_FACETS = 16
FACET_FIELDS = frozenset({"kind", "namespace", "name", "license", "status", "tags"})
_TERM = re.compile(r"\w+")


def parse_sort(value: str | Sort | None, has_terms: bool) -> Sort:
    if value is None or value == "":
        return Sort.RELEVANCE if has_terms else Sort.CREATED
    try:
        sort = Sort(value)
    except ValueError:
        raise ValidationError(
            f"unknown sort {value!r}; expected one of {', '.join(s.value for s in Sort)}",
            code="invalid_parameter",
            field="sort",
        ) from None
    if sort is Sort.RELEVANCE and not has_terms:
        raise ValidationError("sorting by relevance needs a text query", code="invalid_parameter", field="sort")
    return sort


def parse_facet(text: str) -> Field:
    try:
        field = parse_field(text)
    except ValidationError:
        field = None
    if field is None or (field.name not in FACET_FIELDS and field.name not in ("spec", "annotations")):
        raise ValidationError(
            f"cannot count facet {text!r}; expected one of {', '.join(sorted(FACET_FIELDS))}, spec.PATH, "
            "annotations.KEY",
            code="invalid_parameter",
            field="facets",
        )
    return field


class SearchService:
    """Search and suggestions; raises ValidationError (``invalid_filter``, ``invalid_parameter``,
    ``invalid_cursor``) for bad input."""

    def __init__(self, store: AssetStore, index: SearchIndex) -> None:
        self.store = store
        self.index = index

    def search(
        self,
        query: str | None = None,
        *,
        kind: str | None = None,
        filter: str | None = None,
        sort: str | Sort | None = None,
        facets: Sequence[str] = (),
        all_versions: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        """A page of versions matching the text ``query`` and the ``filter`` (latest per asset
        unless ``all_versions``), with counts per value of each facet over all matches."""
        terms = tuple(t.lower() for t in _TERM.findall(query or ""))
        if len(terms) > MAX_TERMS:
            raise ValidationError(f"at most {MAX_TERMS} words", code="invalid_parameter", field="q")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_parameter", field="limit")
        chosen = parse_sort(sort, bool(terms))
        node: Node | None = parse_filter(filter) if filter is not None and filter.strip() else None
        if kind is not None:
            by_kind = Comparison(Field("kind"), "=", (Value("string", parse_kind(kind).value, kind, 0),))
            node = by_kind if node is None else And((by_kind, node))
        if len(facets) > MAX_FACETS:
            raise ValidationError(f"at most {MAX_FACETS} facets", code="invalid_parameter", field="facets")
        fields = tuple(dict.fromkeys(parse_facet(f) for f in facets))
        after = decode_after(cursor, chosen) if cursor else None
        # Facets count every match, whatever the page: the first page carries them.
        search = SearchQuery(terms, node, chosen, all_versions, after, limit + 1, fields if after is None else ())
        with self.store.read() as tx:
            rows, counts = self.index.search(tx, search)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_after(chosen, rows[-1])
        return SearchPage(items=[_hit(r) for r in rows], next_cursor=next_cursor, facets=counts)

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        """Asset names (most pinned first), then tags, that start with ``prefix``."""
        prefix = prefix.strip().lower()
        if not 1 <= limit <= 100:
            raise ValidationError("limit must be between 1 and 100", code="invalid_parameter", field="limit")
        if not prefix or len(prefix) > 129:
            raise ValidationError("prefix must have 1 to 129 characters", code="invalid_parameter", field="prefix")
        with self.store.read() as tx:
            found = self.index.suggest(tx, prefix, limit)
        return [Suggestion(text=text, type=type, ref=ref) for text, type, ref in found]


def _hit(row: HitRow) -> SearchHit:
    return SearchHit(
        ref=f"{row.kind}:{row.namespace}/{row.name}@{row.version}",
        kind=Kind(row.kind),
        name=f"{row.namespace}/{row.name}",
        version=row.version,
        status=row.status,
        description=row.description,
        license=row.license,
        tags=list(row.tags or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
        popularity=row.popularity,
        score=row.score,
    )

