"""The files of versions in SQL (``version_files``), kept inside the asset service's transactions.

``SqlFileIndex`` has the shape of the search indexer (the hook the asset services call in each
write transaction), so a registration records its version's files in the same transaction as
the version; ``ChainedIndexer`` lets both run where the services call one. The garbage
collector asks ``referenced`` which digests some version still holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.interfaces import AssetReader, AssetWriter, SearchIndexer, VersionRow
from llm_registry.integrity.blob_schema import version_files
from llm_registry.storage.compiled import CompiledStatement
from llm_registry.storage.schema import versions
from llm_registry.storage.transactions import connection_of

_P = sa.bindparam


def file_rows(version_id: str, content: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``version_files`` rows of a version's content (the first entry of a repeated path)."""
    files = (content or {}).get("files") or []
    rows: dict[str, dict[str, Any]] = {}
    for entry in files:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"] not in rows:
            rows[entry["path"]] = {"version_id": version_id, "path": entry["path"], "digest": entry["digest"],
                                   "size": entry["size"]}
    return list(rows.values())


class SqlFileIndex:
    """Implements the indexer hook for ``version_files``, and the reads of the garbage collector."""

    def __init__(self) -> None:
        self._inserts: dict[str, CompiledStatement] = {}

    def _insert(self, connection: sa.Connection) -> CompiledStatement:
        name = connection.dialect.name
        statement = self._inserts.get(name)
        if statement is None:
            insert = version_files.insert().values({column.name: _P(column.name) for column in version_files.c})
            statement = self._inserts[name] = CompiledStatement(insert, connection.dialect)
        return statement

    def index_version(self, tx: AssetWriter, row: VersionRow, pinned_assets: Sequence[str]) -> None:
        rows = file_rows(row.id, row.content)
        if rows:
            connection = connection_of(tx)
            self._insert(connection).execute_many(connection, rows)

    def index_versions(self, tx: AssetWriter, items: Sequence[tuple[VersionRow, Sequence[str]]]) -> None:
        rows = [file for row, _ in items for file in file_rows(row.id, row.content)]
        if rows:
            connection = connection_of(tx)
            self._insert(connection).execute_many(connection, rows)

    def update_version(self, tx: AssetWriter, row: VersionRow) -> None:
        """Nothing: a version's files never change."""

    def remove_version(self, tx: AssetWriter, row: VersionRow) -> None:
        connection_of(tx).execute(version_files.delete().where(version_files.c.version_id == row.id))

    def referenced(self, tx: AssetReader, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` that a version holds: as one of its files, or as its digest (a
        version whose content is a single blob)."""
        if not digests:
            return set()
        connection = connection_of(tx)
        wanted = list(digests)
        as_file = sa.select(version_files.c.digest).where(version_files.c.digest.in_(wanted))
        as_version = sa.select(versions.c.digest).where(versions.c.digest.in_(wanted))
        return set(connection.execute(sa.union(as_file, as_version)).scalars())


class ChainedIndexer:
    """Several indexers called in order in each write transaction (search, then files)."""

    def __init__(self, *indexers: SearchIndexer) -> None:
        self.indexers = indexers

    def index_version(self, tx: AssetWriter, row: VersionRow, pinned_assets: Sequence[str]) -> None:
        for indexer in self.indexers:
            indexer.index_version(tx, row, pinned_assets)

    def index_versions(self, tx: AssetWriter, items: Sequence[tuple[VersionRow, Sequence[str]]]) -> None:
        for indexer in self.indexers:
            indexer.index_versions(tx, items)

    def update_version(self, tx: AssetWriter, row: VersionRow) -> None:
        for indexer in self.indexers:
            indexer.update_version(tx, row)

    def remove_version(self, tx: AssetWriter, row: VersionRow) -> None:
        for indexer in self.indexers:
            indexer.remove_version(tx, row)
