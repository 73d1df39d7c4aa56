"""The reads of the SQL search index: a search page with its facet counts, and suggestions.

Every read is one statement run through SQLAlchemy (so it is counted and cached like any
other), on the connection of the reader's transaction, and reads ``search_documents`` alone:
filters and facets on ``spec.*`` read its copy of the spec, not ``versions``, except for the
long texts of the body (BODY_KEYS), which it leaves out. Backends differ in how text is
matched and scored: the hooks of SqlSearchQueries, given by ``store_sqlite`` and
``store_postgres``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from llm_registry.assets.interfaces import AssetReader
from llm_registry.search.cursors import KEYSETS
from llm_registry.search.filters import Field
from llm_registry.search.interfaces import HitRow
from llm_registry.search.models import SearchQuery, Sort
from llm_registry.search.schema import search_documents, search_popularity
from llm_registry.search.sql_filters import SqlFilterCompiler, json_source, needs_versions
from llm_registry.storage.schema import versions
from llm_registry.storage.transactions import connection_of

FACET_VALUES = 50
d = search_documents
pop = search_popularity
_PINS = sa.func.coalesce(pop.c.pins, 0)
# The document fields of a hit, in HitRow's order (pins and score follow).
_HIT_FIELDS = (
    "doc_id", "kind", "namespace", "name", "version", "status", "description", "license", "tags", "created_at",
    "updated_at",
)


class SqlSearchQueries(SqlFilterCompiler):
    """Implements the reads of SearchIndex; subclasses supply the dialect's text search."""

    text_selects_current = False  # whether match() alone keeps to current documents

    # ------------------------------------------------------------ dialect hooks
    def match(self, terms: Sequence[str], *, current: bool) -> tuple[Any, ColumnElement[Any]]:
        """(a table to join on ``doc_id`` = its ``rowid``, or None; the score) for the text query
        ``terms``, whose condition ``match_condition`` gives. ``current``: only current documents
        are wanted."""
        raise NotImplementedError

    def match_condition(self, terms: Sequence[str], *, current: bool) -> ColumnElement[bool]:
        """The condition that a document matches ``terms`` (with the table of ``match`` joined)."""
        raise NotImplementedError

    def json_text(self, column: Any, path: Sequence[str]) -> ColumnElement[Any]:
        """Any scalar at ``path`` as text (for facets)."""
        raise NotImplementedError

    def bytewise(self, text: Any) -> Any:
        """``text`` compared by code point (Python's string order), for ties in facet values."""
        return text

    # ------------------------------------------------------------------- reads
    def _from(self, query: SearchQuery, facets: Sequence[Field]) -> tuple[Any, list[ColumnElement[bool]], Any]:
        """(FROM, WHERE conditions, relevance score) of the documents ``query`` matches, with what
        the ``facets`` read."""
        source: Any = d
        conditions: list[ColumnElement[bool]] = []
        score: Any = sa.null()
        current = not query.all_versions
        if query.terms:
            joined, score = self.match(query.terms, current=current)
            if joined is not None:
                source = sa.join(joined, source, joined.c.rowid == d.c.doc_id)
            conditions.append(self.match_condition(query.terms, current=current))
        if needs_versions(query.filter, facets):
            source = source.join(versions, versions.c.id == d.c.version_id)
        if current and not (query.terms and self.text_selects_current):
            conditions.append(d.c.is_current == sa.true())
        if query.filter is not None:
            conditions.append(self.compile(query.filter))
        return source, conditions, score

    def search(self, tx: AssetReader, query: SearchQuery) -> tuple[list[HitRow], dict[str, dict[str, int]]]:
        connection = connection_of(tx)
        source, conditions, score = self._from(query, query.facets)
        if not query.facets:
            page = self._page(d.c, score, source, conditions, query)
            return [_hit(r) for r in connection.execute(page)], {}
        if query.terms:
            # Matching and ranking the text is the costly part: done once, in a CTE that both the
            # page and the counts read (a CTE read twice is materialized on both databases).
            matched = (
                sa.select(*[d.c[f] for f in _HIT_FIELDS], d.c.asset_id, score.label("score"),
                          *self._facet_columns(query.facets))
                .select_from(source)
                .where(*conditions)
                .cte("matched")
            )
            page = self._page(matched.c, matched.c.score, matched, [], query)
        else:
            # Without text, the page walks a listing index and stops after a page.
            page = self._page(d.c, score, source, conditions, query)
            matched = (
                sa.select(*self._facet_columns(query.facets)).select_from(source).where(*conditions).cte("matched")
            )
        ranked_page = page.subquery("page")
        keys, descending = sort_keys(query.sort, ranked_page.c.score, ranked_page.c, ranked_page.c.pins)
        page_rows = sa.select(
            sa.literal(0).label("part"),
            *[ranked_page.c[f] for f in (*_HIT_FIELDS, "pins", "score")],
            sa.null().label("facet"),
            sa.null().label("value"),
            sa.null().label("n"),
            sa.func.row_number().over(order_by=[k.desc() if descending else k.asc() for k in keys]).label("position"),
        )
        facets = self._facet_counts(matched, query.facets).subquery("counts")
        facet_rows = sa.select(
            sa.literal(1).label("part"),
            *[sa.null().label(f) for f in (*_HIT_FIELDS, "pins", "score")],
            facets.c.facet,
            facets.c.value,
            facets.c.n,
            facets.c.position,
        )
        hits: list[tuple[int, HitRow]] = []
        counts: dict[str, dict[str, int]] = {str(f): {} for f in query.facets}
        r: Any
        for r in connection.execute(sa.union_all(page_rows, facet_rows)):
            if r[0] == 0:
                hits.append((r[17], _hit(r[1:14])))
            else:
                counts[r[14]][r[15]] = int(r[16])
        hits.sort(key=lambda h: h[0])
        return [hit for _, hit in hits], {
            facet: dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))) for facet, values in counts.items()
        }

    def _page(
        self, columns: Any, score: Any, source: Any, conditions: list[ColumnElement[bool]], query: SearchQuery
    ) -> sa.Select[Any]:
        """One page of hits (``query.limit`` rows after ``query.after``) from ``source``, whose
        document fields are ``columns`` (the documents table, or the matched CTE)."""
        source = source.outerjoin(pop, pop.c.asset_id == columns.asset_id)
        keys, descending = sort_keys(query.sort, score, columns, _PINS)
        where = list(conditions)
        if query.after is not None:
            after = sa.tuple_(*[sa.literal(v) for v in query.after])
            row_key = sa.tuple_(*keys)
            where.append(row_key < after if descending else row_key > after)
        return (
            sa.select(*[columns[f].label(f) for f in _HIT_FIELDS], _PINS.label("pins"), score.label("score"))
            .select_from(source)
            .where(*where)
            .order_by(*[k.desc() if descending else k.asc() for k in keys])
            .limit(query.limit)
        )

    def _facet_columns(self, facets: Sequence[Field]) -> list[Any]:
        """One column per facet, ``f0``…: its value, computed once per matching document (a JSON
        path is read once, not again for the GROUP BY); tags stay an array, unnested later."""
        return [
            (d.c.tags if facet.name == "tags" else sa.cast(self._facet_value(facet), sa.Text)).label(f"f{i}")
            for i, facet in enumerate(facets)
        ]

    def _facet_counts(self, matched: Any, facets: Sequence[Field]) -> sa.Select[Any]:
        """(facet, value, n, position) of the FACET_VALUES most frequent values of each facet
        (ties by value) over the ``matched`` CTE."""
        parts = []
        for i, facet in enumerate(facets):
            name = sa.literal(str(facet), sa.Text).label("facet")
            column = matched.c[f"f{i}"]
            if facet.name == "tags":
                values = self.array_values(column)
                value: Any = sa.cast(values.c.value, sa.Text)
                part = sa.select(name, value.label("value"), sa.func.count().label("n")).join_from(
                    matched, values, sa.true()
                )
            else:
                value = column
                part = sa.select(name, value.label("value"), sa.func.count().label("n")).select_from(matched)
            parts.append(part.where(value.is_not(None)).group_by(value))
        grouped = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("grouped")
        position = sa.func.row_number().over(
            partition_by=grouped.c.facet, order_by=(grouped.c.n.desc(), self.bytewise(grouped.c.value))
        )
        ranked = sa.select(grouped.c.facet, grouped.c.value, grouped.c.n, position.label("position")).subquery()
        return sa.select(ranked.c.facet, ranked.c.value, ranked.c.n, ranked.c.position).where(
            ranked.c.position <= FACET_VALUES
        )

    def _facet_value(self, facet: Field) -> Any:
        """The value a document has for a facet (tags aside)."""
        if facet.name in ("spec", "annotations"):
            column, path = json_source(facet)
            return self.json_text(column, path)
        return d.c[facet.name]

    def suggest(self, tx: AssetReader, prefix: str, limit: int) -> list[tuple[str, str, str | None]]:
        connection = connection_of(tx)
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        namespace, slash, _ = prefix.partition("/")
        if slash:
            match = sa.and_(d.c.namespace == namespace, d.c.name.like(like[len(namespace) + 1 :], escape="\\"))
        else:
            match = sa.or_(d.c.name.like(like, escape="\\"), d.c.namespace.like(like, escape="\\"))
        assets = connection.execute(
            sa.select(d.c.kind, d.c.namespace, d.c.name)
            .select_from(d.outerjoin(pop, pop.c.asset_id == d.c.asset_id))
            .where(d.c.is_current == sa.true(), match)
            .order_by(_PINS.desc(), d.c.name, d.c.namespace, d.c.kind)
            .limit(limit)
        ).all()
        out: list[tuple[str, str, str | None]] = [
            (f"{ns}/{name}", "asset", f"{kind}:{ns}/{name}") for kind, ns, name in assets
        ]
        if len(out) < limit and not slash:
            values = self.array_values(d.c.tags)
            tags = connection.execute(
                sa.select(values.c.value, sa.func.count())
                .select_from(d)
                .join(values, sa.true())
                .where(d.c.is_current == sa.true(), sa.cast(values.c.value, sa.Text).like(like, escape="\\"))
                .group_by(values.c.value)
                .order_by(sa.func.count().desc(), values.c.value)
                .limit(limit - len(out))
            ).all()
            out.extend((str(tag), "tag", None) for tag, _ in tags)
        return out


def sort_keys(sort: Sort, score: Any, columns: Any, pins: Any) -> tuple[list[Any], bool]:
    """(the keyset columns, whether descending) of a sort over ``columns`` (the documents table
    or a query of it), as ``cursors.KEYSETS`` names them; the last key is always doc_id."""
    keyset = KEYSETS[sort]
    computed = {"score": score, "popularity": pins}
    return [computed[f] if f in computed else columns[f] for f in keyset.fields], keyset.descending


def _hit(r: Any) -> HitRow:
    """A hit from a row of _HIT_FIELDS, then pins and score."""
    return HitRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        int(r[11]), None if r[12] is None else float(r[12]),
    )
