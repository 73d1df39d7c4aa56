"""The search index in SQL, shared by SQLite (FTS5) and PostgreSQL (tsvector).

Backends differ in a few places, given by the subclasses: how text is stored and matched
(and how the text index learns which documents are current), the relevance score, how a JSON
path is read, and how a JSON array is unnested. Every read is one statement run through
SQLAlchemy (so it is counted and cached like any other), and reads ``search_documents``
alone: filters and facets on ``spec.*`` read its copy of the spec, not ``versions``, except
for the long texts of the body (BODY_KEYS), which it leaves out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from llm_registry.assets.interfaces import AssetReader, AssetWriter, VersionRow
from llm_registry.assets.store_sql import PRECEDENCE_DESC
from llm_registry.search.cursors import KEYSETS
from llm_registry.search.filters import NULLABLE_FIELDS, TIME_FIELDS, And, Comparison, Field, Node, Not, Or, Value
from llm_registry.search.interfaces import HitRow
from llm_registry.search.models import SearchQuery, Sort
from llm_registry.search.schema import search_documents, search_popularity
from llm_registry.storage.compiled import CompiledStatement, dump_json
from llm_registry.storage.schema import dependencies, versions
from llm_registry.storage.transactions import connection_of

MAX_BODY = 200_000
FACET_VALUES = 50
# Spec fields holding long text: indexed as the full-text body, and left out of the spec copy
# in search_documents (a filter or facet on them reads versions.spec).
BODY_KEYS = ("card", "template", "messages")
_P = sa.bindparam
_JSON_KEYS = ("tags", "spec", "annotations")
d = search_documents
pop = search_popularity
_PINS = sa.func.coalesce(pop.c.pins, 0)
# The document fields of a hit, in HitRow's order (pins and score follow).
_HIT_FIELDS = (
    "doc_id", "kind", "namespace", "name", "version", "status", "description", "license", "tags", "created_at",
    "updated_at",
)


def document_text(row: VersionRow) -> dict[str, str]:
    """The four weighted texts of a version: name, tags, description, body (card and templates)."""
    spec = row.spec
    parts: list[str] = []
    for key in ("card", "template"):
        if isinstance(spec.get(key), str):
            parts.append(spec[key])
    messages = spec.get("messages")
    if isinstance(messages, list):
        parts.extend(m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))
    return {
        "name_text": f"{row.namespace} {re.sub(r'[-_.]', ' ', row.name)} {row.name}",
        "tags_text": " ".join(row.labels.get("tags") or []),
        "description_text": row.labels.get("description") or "",
        "body_text": "\n".join(parts)[:MAX_BODY],
    }


def _assets_of(items: Sequence[tuple[VersionRow, Sequence[str]]]) -> set[str]:
    return {row.asset_id for row, _ in items}


def _current_version_query() -> sa.Select[Any]:
    """The id of an asset's current version ("" when none): the highest active release, else
    the highest version not yanked, leaving out ``exclude``. Two walks down the precedence index,
    each stopping at its first row, rather than a sort of every version of the asset."""
    mine = sa.and_(versions.c.asset_id == _P("for_asset"), versions.c.id != _P("exclude"))
    best_release = (
        sa.select(versions.c.id)
        .where(mine, versions.c.status == "active", versions.c.is_prerelease == sa.false())
        .order_by(*PRECEDENCE_DESC)
        .limit(1)
        .scalar_subquery()
    )
    best_other = (
        sa.select(versions.c.id)
        .where(mine, versions.c.status != "yanked")
        .order_by(*PRECEDENCE_DESC)
        .limit(1)
        .scalar_subquery()
    )
    return sa.select(sa.func.coalesce(best_release, best_other, ""))


def glob_to_like(pattern: str) -> str:
    """``*`` any run, ``?`` one character; without either, a substring match."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" not in pattern and "?" not in pattern:
        return f"%{escaped}%"
    return escaped.replace("*", "%").replace("?", "_")


class SqlSearchIndex:
    """Implements SearchIndex; subclasses supply the dialect's text search and JSON access.

    Writes run inside the asset service's transactions, on the hot path of every registration:
    they are statements compiled once (``writes``) and run on the driver's cursor, each by index.
    A registration inserts its document already marked current or not (the current version is
    known once its row is in ``versions``), so the text index is told of at most one other
    document, the one that stops being current.
    """

    backend = "sql"
    text_selects_current = False  # whether match() alone keeps to current documents

    def __init__(self) -> None:
        self._writes: dict[str, CompiledStatement] | None = None
        document = {
            "version_id": _P("version_id"),
            "asset_id": _P("asset_id"),
            "kind": _P("kind"),
            "namespace": _P("namespace"),
            "name": _P("name"),
            "version": _P("version"),
            "status": _P("status"),
            "license": _P("license"),
            "description": _P("description"),
            "tags": _P("tags", type_=d.c.tags.type),
            "spec": _P("spec", type_=d.c.spec.type),
            "annotations": _P("annotations", type_=d.c.annotations.type),
            "is_current": _P("is_current", type_=sa.Boolean),
            "created_at": _P("created_at"),
            "updated_at": _P("updated_at"),
        }
        tsv = self.tsv_expression()
        text = {} if tsv is None else {"tsv": tsv}
        # Many documents at once (bulk loads): RETURNING with executemany ("insertmanyvalues")
        # gives the ids back in parameter order.
        self._insert_many = d.insert().values({**document, **text}).returning(d.c.doc_id, sort_by_parameter_order=True)
        self._statements: dict[str, Any] = {
            "insert": d.insert().values({**document, **text}).returning(d.c.doc_id),
            "update": d.update()
            .where(d.c.version_id == _P("for_version"))
            .values(
                status=_P("status"),
                license=_P("license"),
                description=_P("description"),
                tags=_P("tags", type_=d.c.tags.type),
                annotations=_P("annotations", type_=d.c.annotations.type),
                updated_at=_P("updated_at"),
                **text,
            )
            .returning(d.c.doc_id, d.c.is_current),
            "current_version": _current_version_query(),
            "document_of": sa.select(d.c.doc_id).where(d.c.version_id == _P("for_version")),
            "set_current": d.update().where(d.c.doc_id == _P("doc_id")).values(is_current=_P("flag", type_=sa.Boolean)),
            # The asset's current documents (from the partial index alone).
            "current_doc_ids": sa.select(d.c.doc_id).where(
                d.c.asset_id == _P("for_asset"), d.c.is_current == sa.true()
            ),
            "add_pins": sa.text(
                "INSERT INTO search_popularity (asset_id, pins) VALUES (:asset_id, :pins)"
                " ON CONFLICT (asset_id) DO UPDATE SET pins = search_popularity.pins + excluded.pins"
            ),
            "drop_pins": pop.update()
            .where(
                pop.c.asset_id.in_(
                    sa.select(dependencies.c.target_asset_id).where(dependencies.c.version_id == _P("version_id"))
                )
            )
            .values(pins=pop.c.pins - 1),
            "delete": d.delete().where(d.c.version_id == _P("for_version")),
        }

    def writes(self, connection: sa.Connection) -> dict[str, CompiledStatement]:
        """The write statements (``statements``), compiled on first use for the connection's
        dialect; one index serves one store, so one dialect."""
        if self._writes is None:
            self._writes = {
                name: CompiledStatement(statement, connection.dialect) for name, statement in self._statements.items()
            }
        return self._writes

    # ------------------------------------------------------------ dialect hooks
    def tsv_expression(self) -> Any:
        """The value of ``tsv`` from the bound texts (None where another table holds the text)."""
        return None

    def write_texts(self, connection: sa.Connection, texts: Sequence[tuple[int, dict[str, str], bool]]) -> None:
        """Store the texts of new documents: ``(doc_id, texts, is_current)``."""

    def rewrite_text(self, connection: sa.Connection, doc_id: int, text: dict[str, str], current: bool) -> None:
        """Replace the texts of a document (its labels changed)."""

    def delete_text(self, connection: sa.Connection, version_id: str) -> None:
        """Drop the texts of a version's document (before the document itself)."""

    def current_changed(self, connection: sa.Connection, changes: Sequence[tuple[int, bool]]) -> None:
        """Tell the text index which documents became current (True) or stopped being (False)."""

    def match(self, terms: Sequence[str], *, current: bool) -> tuple[Any, ColumnElement[Any]]:
        """(a table to join on ``doc_id`` = its ``rowid``, or None; the score) for the text query
        ``terms``, whose condition ``match_condition`` gives. ``current``: only current documents
        are wanted."""
        raise NotImplementedError

    def match_condition(self, terms: Sequence[str], *, current: bool) -> ColumnElement[bool]:
        """The condition that a document matches ``terms`` (with the table of ``match`` joined)."""
        raise NotImplementedError

    def json_scalar(self, column: Any, path: Sequence[str], type: str) -> ColumnElement[Any]:
        """The value at ``path`` when it has JSON type ``type`` (string, number, bool), else NULL."""
        raise NotImplementedError

    def json_is_null(self, column: Any, path: Sequence[str]) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_text(self, column: Any, path: Sequence[str]) -> ColumnElement[Any]:
        """Any scalar at ``path`` as text (for facets)."""
        raise NotImplementedError

    def array_values(self, column: Any) -> Any:
        """A table-valued function with one ``value`` column per element of a JSON array."""
        raise NotImplementedError

    def bytewise(self, text: Any) -> Any:
        """``text`` compared by code point (Python's string order), for ties in facet values."""
        return text

    # ------------------------------------------------------------------ writes
    def index_version(self, tx: AssetWriter, row: VersionRow, pinned_assets: Sequence[str]) -> None:
        self.index_versions(tx, [(row, pinned_assets)])

    def index_versions(self, tx: AssetWriter, items: Sequence[tuple[VersionRow, Sequence[str]]]) -> None:
        """Index newly registered versions (their rows already in ``versions``), each with the
        asset ids it pins: one insert (executemany for many), the text, and per asset whose
        current version is among them, one update of the document that was current."""
        if not items:
            return
        connection = connection_of(tx)
        w = self.writes(connection)
        current = {asset_id: self._current_version(connection, asset_id, "") for asset_id in _assets_of(items)}
        texts = [document_text(row) for row, _ in items]
        flags = [current[row.asset_id] == row.id for row, _ in items]
        values = [
            {**self._values(row), **text, "is_current": flag}
            for (row, _), text, flag in zip(items, texts, flags, strict=True)
        ]
        if len(values) == 1:
            doc_ids = [w["insert"].fetch(connection, self._encoded(values[0]))[0][0]]
        else:
            doc_ids = list(connection.execute(self._insert_many, values).scalars())
        self.write_texts(connection, list(zip(doc_ids, texts, flags, strict=True)))
        changes: list[tuple[int, bool]] = []
        for (row, _), doc_id, flag in zip(items, doc_ids, flags, strict=True):
            if flag:
                # The document that was current stops being so: found by the partial index, then
                # updated by its key (cheaper than an UPDATE … RETURNING over the index).
                marked = w["current_doc_ids"].fetch(connection, {"for_asset": row.asset_id})
                changes.extend((int(old), False) for (old,) in marked if old != doc_id)
        if changes:
            self._mark_current(connection, changes)
        pins = Counter(asset for _, pinned in items for asset in set(pinned))
        if pins:
            w["add_pins"].execute_many(connection, [{"asset_id": a, "pins": n} for a, n in sorted(pins.items())])

    def update_version(self, tx: AssetWriter, row: VersionRow) -> None:
        connection = connection_of(tx)
        text = document_text(row)
        values = {**self._values(row), **text, "for_version": row.id}
        updated = self.writes(connection)["update"].fetch(connection, self._encoded(values))
        if not updated:  # registered before the index existed: index it now
            self.index_version(tx, row, [])
            return
        ((doc_id, is_current),) = updated
        self.rewrite_text(connection, doc_id, text, bool(is_current))
        self._refresh_current(connection, row.asset_id, exclude="")

    def remove_version(self, tx: AssetWriter, row: VersionRow) -> None:
        connection = connection_of(tx)
        w = self.writes(connection)
        w["drop_pins"].execute(connection, {"version_id": row.id})
        self.delete_text(connection, row.id)
        w["delete"].execute(connection, {"for_version": row.id})
        self._refresh_current(connection, row.asset_id, exclude=row.id)

    @staticmethod
    def _values(row: VersionRow) -> dict[str, Any]:
        return {
            "version_id": row.id,
            "asset_id": row.asset_id,
            "kind": row.kind.value,
            "namespace": row.namespace,
            "name": row.name,
            "version": row.version,
            "status": row.status,
            "license": row.labels.get("license"),
            "description": row.labels.get("description"),
            "tags": list(row.labels.get("tags") or []),
            "spec": {key: value for key, value in row.spec.items() if key not in BODY_KEYS},
            "annotations": dict(row.labels.get("annotations") or {}),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    @staticmethod
    def _encoded(values: dict[str, Any]) -> dict[str, Any]:
        """``values`` for a compiled statement, which takes JSON columns as text."""
        return {**values, **{key: dump_json(values[key]) for key in _JSON_KEYS if key in values}}

    def _current_version(self, connection: sa.Connection, asset_id: str, exclude: str) -> str:
        """The id of the version a search shows for the asset ("" when none), leaving out
        ``exclude`` (a version about to go)."""
        ((version_id,),) = self.writes(connection)["current_version"].fetch(
            connection, {"for_asset": asset_id, "exclude": exclude}
        )
        return str(version_id)

    def _mark_current(self, connection: sa.Connection, changes: Sequence[tuple[int, bool]]) -> None:
        """Set ``is_current`` of documents, ``(doc_id, flag)``, and tell the text index."""
        rows = [{"doc_id": doc_id, "flag": flag} for doc_id, flag in changes]
        self.writes(connection)["set_current"].execute_many(connection, rows)
        self.current_changed(connection, changes)

    def _refresh_current(self, connection: sa.Connection, asset_id: str, *, exclude: str) -> None:
        """Mark the current version of the asset after a change of status or a delete."""
        w = self.writes(connection)
        current = self._current_version(connection, asset_id, exclude)
        marked = {int(doc_id) for (doc_id,) in w["current_doc_ids"].fetch(connection, {"for_asset": asset_id})}
        wanted = {int(doc_id) for (doc_id,) in w["document_of"].fetch(connection, {"for_version": current})}
        changes = [(doc_id, False) for doc_id in sorted(marked - wanted)]
        changes.extend((doc_id, True) for doc_id in sorted(wanted - marked))
        if changes:
            self._mark_current(connection, changes)

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
        if _uses_version(query.filter, facets):
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
        keys, descending = _sort_keys(query.sort, ranked_page.c.score, ranked_page.c, ranked_page.c.pins)
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
        keys, descending = _sort_keys(query.sort, score, columns, _PINS)
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
            column, path = _json_source(facet)
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

    # ---------------------------------------------------------------- filters
    def compile(self, node: Node) -> ColumnElement[bool]:
        """The SQL condition of a parsed filter."""
        if isinstance(node, And):
            return sa.and_(*[self.compile(item) for item in node.items])
        if isinstance(node, Or):
            return sa.or_(*[self.compile(item) for item in node.items])
        if isinstance(node, Not):
            # NULL (a missing value) must read as false so that NOT gives its complement.
            return sa.not_(sa.func.coalesce(self.compile(node.item), sa.false()))
        return self._comparison(node)

    def _comparison(self, node: Comparison) -> ColumnElement[bool]:
        if node.op == "!=":
            return self.compile(Not(Comparison(node.field, "=", node.values)))
        if node.op == "in":
            return sa.or_(*[self._comparison(Comparison(node.field, "=", (v,))) for v in node.values])
        (value,) = node.values
        field = node.field
        if field.name == "tags":
            values = self.array_values(d.c.tags)
            element = sa.cast(values.c.value, sa.Text)
            test = element.ilike(glob_to_like(value.text), escape="\\") if node.op == "~" else element == value.text
            return sa.exists(sa.select(sa.literal(1)).select_from(values).where(test))
        if field.name in TIME_FIELDS:
            return _time_comparison(d.c[field.name], node.op, value)
        if field.name in ("spec", "annotations"):
            column, path = _json_source(field)
            return self._json_comparison(column, path, node.op, value)
        column = d.c[field.name]
        if value.type == "null":
            return column.is_(None) if field.name in NULLABLE_FIELDS else sa.false()
        return _apply(column, node.op, value.text)

    def _json_comparison(self, column: Any, path: Sequence[str], op: str, value: Value) -> ColumnElement[bool]:
        if value.type == "null":
            return self.json_is_null(column, path)
        if value.type == "bool":
            return self.json_scalar(column, path, "bool") == sa.literal(bool(value.value))
        if value.type == "number" and op != "~":
            return _apply(self.json_scalar(column, path, "number"), op, value.value)
        return _apply(self.json_scalar(column, path, "string"), op, value.text)


def _json_source(field: Field) -> tuple[Any, tuple[str, ...]]:
    """The JSON column and path of a ``spec.*`` or ``annotations.*`` field: the copies in
    search_documents, except the long texts of the body, which only versions.spec holds."""
    if field.name == "annotations":
        return d.c.annotations, field.path
    if field.path[0] in BODY_KEYS:
        return versions.c.spec, field.path
    return d.c.spec, field.path


def _apply(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "~":
        return sa.cast(column, sa.Text).ilike(glob_to_like(str(value)), escape="\\")
    literal = sa.literal(value)
    operations: dict[str, ColumnElement[bool]] = {
        "=": column == literal, "<": column < literal, "<=": column <= literal, ">": column > literal,
        ">=": column >= literal,
    }
    return operations[op]


def _time_comparison(column: Any, op: str, value: Value) -> ColumnElement[bool]:
    start = str(value.value)
    end = value.day_end
    if end is None:  # an instant
        return _apply(column, op, start)
    # A bare date stands for its whole day.
    ranges: dict[str, ColumnElement[bool]] = {
        "=": sa.and_(column >= start, column < end), "<": column < start, "<=": column < end,
        ">": column >= end, ">=": column >= start,
    }
    return ranges[op]


def _uses_version(node: Node | None, facets: Sequence[Field]) -> bool:
    """Whether a filter or a facet reads a long text of the spec, which only ``versions`` holds."""
    if any(_reads_body(f) for f in facets):
        return True
    if node is None:
        return False
    if isinstance(node, And | Or):
        return any(_uses_version(item, ()) for item in node.items)
    if isinstance(node, Not):
        return _uses_version(node.item, ())
    return _reads_body(node.field)


def _reads_body(field: Field) -> bool:
    return field.name == "spec" and field.path[0] in BODY_KEYS


def _sort_keys(sort: Sort, score: Any, columns: Any, pins: Any) -> tuple[list[Any], bool]:
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
