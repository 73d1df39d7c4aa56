"""PostgreSQL: a weighted ``tsvector`` per document, ranked by ts_rank, with two GIN indexes:
one over every version and a partial one over current versions, which the default search
(``is_current`` in its WHERE) uses, a tenth of the size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from llm_registry.search.schema import search_documents
from llm_registry.search.store_sql import SqlSearchIndex

CONFIG: Any = sa.literal_column("'english'::regconfig")


def _weighted(text: Any, weight: str) -> Any:
    return sa.func.setweight(sa.func.to_tsvector(CONFIG, text), sa.literal_column(f"'{weight}'::\"char\""))


def _bound(name: str) -> Any:
    return sa.bindparam(name, type_=sa.Text)


class PostgresSearchIndex(SqlSearchIndex):
    backend = "postgresql"

    def __init__(self) -> None:
        super().__init__()
        self._statements["new_doc_ids"] = sa.text(
            "SELECT nextval(pg_get_serial_sequence('search_documents', 'doc_id')) FROM generate_series(1, :count)"
        )

    def new_doc_ids(self, connection: sa.Connection, count: int) -> list[int]:
        # One round trip for the ids of every document of a batch, from the column's own sequence.
        rows = self.writes(connection)["new_doc_ids"].fetch(connection, {"count": count})
        return sorted(int(doc_id) for (doc_id,) in rows)

    def tsv_expression(self, text: Callable[[str], Any] = _bound) -> Any:
        return (
            _weighted(text("name_text"), "A")
            .op("||")(_weighted(text("tags_text"), "B"))
            .op("||")(_weighted(text("description_text"), "C"))
            .op("||")(_weighted(text("body_text"), "D"))
        )

    @staticmethod
    def _tsquery(terms: Sequence[str]) -> Any:
        return sa.func.plainto_tsquery(CONFIG, sa.literal(" ".join(terms), sa.Text))

    def match(self, terms: Sequence[str], *, current: bool) -> tuple[Any, ColumnElement[Any]]:
        # float8: ts_rank's float4 would not survive the trip through a cursor exactly.
        return None, sa.cast(sa.func.ts_rank(search_documents.c.tsv, self._tsquery(terms)), sa.Double)

    def match_condition(self, terms: Sequence[str], *, current: bool) -> ColumnElement[bool]:
        return search_documents.c.tsv.op("@@")(self._tsquery(terms))

    def bytewise(self, text: Any) -> Any:
        return text.collate("C")

    @staticmethod
    def _at(column: Any, path: Sequence[str]) -> tuple[Any, Any]:
        segments = [sa.literal(s, sa.Text) for s in path]
        return sa.func.jsonb_extract_path(column, *segments), sa.func.jsonb_extract_path_text(column, *segments)

    def json_scalar(self, column: Any, path: Sequence[str], type: str) -> ColumnElement[Any]:
        value, text = self._at(column, path)
        kind = sa.func.jsonb_typeof(value)
        if type == "bool":
            return sa.case((kind == "boolean", text == "true"), else_=sa.null())
        if type == "number":
            return sa.case((kind == "number", sa.cast(text, sa.Numeric)), else_=sa.null())
        return sa.case((kind == "string", text), else_=sa.null())

    def json_is_null(self, column: Any, path: Sequence[str]) -> ColumnElement[bool]:
        value, _ = self._at(column, path)
        return sa.or_(value.is_(None), sa.func.jsonb_typeof(value) == "null")

    def json_text(self, column: Any, path: Sequence[str]) -> ColumnElement[Any]:
        value, text = self._at(column, path)
        return sa.case((sa.func.jsonb_typeof(value).in_(("string", "number", "boolean")), text), else_=sa.null())

    def array_values(self, column: Any) -> Any:
        return sa.func.jsonb_array_elements_text(column).table_valued("value")
