"""Search filters as SQL: a parsed filter (``filters``) compiled to a condition on ``search_documents``.

A missing value reads as NULL, and NULL as false, so that ``NOT`` gives the complement of what
it negates. Backends differ in how a JSON path is read and how a JSON array is unnested: the
hooks of SqlFilterCompiler, given by ``store_sqlite`` and ``store_postgres``. A ``spec.*``
field reads the copy of the spec in ``search_documents``, except the long texts of the body
(BODY_KEYS), which only ``versions.spec`` holds: a query whose filter or facets read one
joins ``versions`` (``needs_versions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from llm_registry.search.filters import NULLABLE_FIELDS, TIME_FIELDS, And, Comparison, Field, Node, Not, Or, Value
from llm_registry.search.schema import BODY_KEYS, search_documents
from llm_registry.storage.schema import versions

d = search_documents


def glob_to_like(pattern: str) -> str:
    """``*`` any run, ``?`` one character; without either, a substring match."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" not in pattern and "?" not in pattern:
        return f"%{escaped}%"
    return escaped.replace("*", "%").replace("?", "_")


class SqlFilterCompiler:
    """Compiles filters; subclasses supply the dialect's JSON access."""

    # ------------------------------------------------------------ dialect hooks
    def json_scalar(self, column: Any, path: Sequence[str], type: str) -> ColumnElement[Any]:
        """The value at ``path`` when it has JSON type ``type`` (string, number, bool), else NULL."""
        raise NotImplementedError

    def json_is_null(self, column: Any, path: Sequence[str]) -> ColumnElement[bool]:
        """Whether the value at ``path`` is missing or JSON null."""
        raise NotImplementedError

    def array_values(self, column: Any) -> Any:
        """A table-valued function with one ``value`` column per element of a JSON array."""
        raise NotImplementedError

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
            column, path = json_source(field)
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


def json_source(field: Field) -> tuple[Any, tuple[str, ...]]:
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


def needs_versions(node: Node | None, facets: Sequence[Field]) -> bool:
    """Whether a filter or a facet reads a long text of the spec, which only ``versions`` holds
    (the query must then join it)."""
    if any(_reads_body(f) for f in facets):
        return True
    if node is None:
        return False
    if isinstance(node, And | Or):
        return any(needs_versions(item, ()) for item in node.items)
    if isinstance(node, Not):
        return needs_versions(node.item, ())
    return _reads_body(node.field)


def _reads_body(field: Field) -> bool:
    return field.name == "spec" and field.path[0] in BODY_KEYS
