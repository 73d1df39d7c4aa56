"""The search index in SQL, shared by SQLite (FTS5) and PostgreSQL (tsvector).

It is made of three parts, each in its own module: the writes the asset service runs in its
transactions (``sql_indexer``), the reads of a search page and of suggestions
(``sql_queries``), and the compiler of filters to SQL conditions (``sql_filters``). Sorts and
their cursors are named once, by field, in ``cursors``.

Backends differ in a few places, given by the subclasses (``store_sqlite``,
``store_postgres``): how text is stored and matched (and how the text index learns which
documents are current), the relevance score, how a JSON path is read, and how a JSON array is
unnested.
"""

from __future__ import annotations

from llm_registry.search.sql_indexer import SqlSearchIndexer
from llm_registry.search.sql_queries import SqlSearchQueries


class SqlSearchIndex(SqlSearchIndexer, SqlSearchQueries):
    """Implements SearchIndex on the connection of the transaction it is given; subclasses
    supply the dialect's text search and JSON access (the hooks of both parts)."""

    backend = "sql"
