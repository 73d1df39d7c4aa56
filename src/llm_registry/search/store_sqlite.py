"""SQLite: the text lives in the FTS5 table ``search_fts`` (rowid = ``doc_id``), ranked by bm25.

Its ``state`` column holds ``current`` for the current version of each asset, so that the
default search asks FTS5 for current documents only and ranks a tenth of what it would
otherwise (bm25 costs per match). The index keeps it in step with ``is_current``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from llm_registry.search.schema import search_documents
from llm_registry.search.store_sql import SqlSearchIndex

# bm25 weights of name, tags, description, body, state: a hit in the name counts most; the
# state column only selects current documents and must not move the score.
WEIGHTS = (10.0, 4.0, 2.0, 1.0, 0.0)
CURRENT = "current"
_FTS = sa.table("search_fts", sa.column("rowid"))
_TEXT_COLUMNS = "{name tags description body}"


def json_path(path: Sequence[str]) -> str:
    # Segments are checked by the filter parser ([A-Za-z0-9._/-]): quoting them is safe.
    return "$" + "".join(f'."{segment}"' for segment in path)


def fts_query(terms: Sequence[str], *, current: bool = False) -> str:
    """Every term must appear in the text columns (each quoted, so no FTS5 syntax reaches the
    engine); with ``current``, only in current documents."""
    phrases = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    query = f"{_TEXT_COLUMNS} : ({phrases})"
    return f"{query} AND state : {CURRENT}" if current else query


def _state(current: bool) -> str:
    return CURRENT if current else ""


class Fts5SearchIndex(SqlSearchIndex):
    backend = "sqlite"
    # A text query for current documents asks FTS5 for them (``state``). Saying it again in SQL
    # would tempt the planner, which has no statistics, to walk the is_current index (a tenth of
    # all documents) and probe the text matches, instead of fetching the matches by rowid.
    text_selects_current = True

    def __init__(self) -> None:
        super().__init__()
        self._statements.update(
            largest_doc_id=sa.select(sa.func.coalesce(sa.func.max(search_documents.c.doc_id), 0)),
            fts_insert=sa.text(
                "INSERT INTO search_fts (rowid, name, tags, description, body, state)"
                " VALUES (:doc_id, :name_text, :tags_text, :description_text, :body_text, :state)"
            ),
            fts_state=sa.text("UPDATE search_fts SET state = :state WHERE rowid = :doc_id"),
            fts_delete=sa.text("DELETE FROM search_fts WHERE rowid = :doc_id"),
            fts_delete_version=sa.text(
                "DELETE FROM search_fts"
                " WHERE rowid = (SELECT doc_id FROM search_documents WHERE version_id = :version_id)"
            ),
        )

    def new_doc_ids(self, connection: sa.Connection, count: int) -> list[int]:
        # As SQLite would number them (the largest rowid plus one, and on): the writer holds the
        # database's write lock, so no other transaction takes these.
        ((largest,),) = self.writes(connection)["largest_doc_id"].fetch(connection, {})
        return list(range(int(largest) + 1, int(largest) + 1 + count))

    def write_texts(self, connection: sa.Connection, texts: Sequence[tuple[int, dict[str, str], bool]]) -> None:
        rows = [{"doc_id": doc_id, **text, "state": _state(current)} for doc_id, text, current in texts]
        self.writes(connection)["fts_insert"].execute_many(connection, rows)

    def rewrite_text(self, connection: sa.Connection, doc_id: int, text: dict[str, str], current: bool) -> None:
        w = self.writes(connection)
        w["fts_delete"].execute(connection, {"doc_id": doc_id})
        w["fts_insert"].execute(connection, {"doc_id": doc_id, **text, "state": _state(current)})

    def delete_text(self, connection: sa.Connection, version_id: str) -> None:
        self.writes(connection)["fts_delete_version"].execute(connection, {"version_id": version_id})

    def current_changed(self, connection: sa.Connection, changes: Sequence[tuple[int, bool]]) -> None:
        rows = [{"doc_id": doc_id, "state": _state(flag)} for doc_id, flag in changes]
        self.writes(connection)["fts_state"].execute_many(connection, rows)

    def match(self, terms: Sequence[str], *, current: bool) -> tuple[Any, ColumnElement[Any]]:
        # The FTS table joins the documents directly, so bm25() (which costs per row) runs only
        # for the rows every other condition kept, not for every text match.
        fts: Any = sa.literal_column("search_fts")
        return _FTS, -sa.func.bm25(fts, *WEIGHTS)

    def match_condition(self, terms: Sequence[str], *, current: bool) -> ColumnElement[bool]:
        fts: Any = sa.literal_column("search_fts")
        condition: ColumnElement[bool] = fts.op("MATCH")(sa.literal(fts_query(terms, current=current)))
        return condition

    def json_scalar(self, column: Any, path: Sequence[str], type: str) -> ColumnElement[Any]:
        p = json_path(path)
        kind = sa.func.json_type(column, p)
        if type == "bool":
            return sa.case((kind == "true", sa.true()), (kind == "false", sa.false()), else_=sa.null())
        types = ("integer", "real") if type == "number" else ("text",)
        return sa.case((kind.in_(types), sa.func.json_extract(column, p)), else_=sa.null())

    def json_is_null(self, column: Any, path: Sequence[str]) -> ColumnElement[bool]:
        kind = sa.func.json_type(column, json_path(path))
        return sa.or_(kind.is_(None), kind == "null")

    def json_text(self, column: Any, path: Sequence[str]) -> ColumnElement[Any]:
        p = json_path(path)
        return sa.case((sa.func.json_type(column, p).in_(("integer", "real", "text", "true", "false")),
                        sa.func.json_extract(column, p)), else_=sa.null())

    def array_values(self, column: Any) -> Any:
        return sa.func.json_each(column).table_valued("value")
