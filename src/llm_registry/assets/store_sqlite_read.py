"""SQLite read on the ``sqlite3`` module alone: the versions a reference chooses and an asset's
version list (``VersionStore``), for a database whose schema is current.

``llm-registry get`` on a local registry spent most of its time importing SQLAlchemy (~150 ms
on a small machine), which a lookup does not need: the statements are those the SQL store
compiles for SQLite (``store_sql.Statements``), written out. tests/foundation/test_read_store.py
runs both stores through the same reads; the behaviour suites read through this one whenever
an embedded registry on SQLite answers ``get``, ``resolve`` or ``versions``.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from llm_registry.assets.interfaces import AssetRow, LabelRevisionRow, PinTarget, VersionRow
from llm_registry.assets.rows import version_row
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.errors import StorageError
from llm_registry.storage import revisions

# Columns in the order version_row reads them: the version, its asset's name, its aliases.
_VERSION = """
SELECT versions.id, versions.asset_id, versions.version, versions.version_key, versions.major,
       versions.minor, versions.patch, versions.prerelease_key, versions.is_prerelease,
       versions.status, versions.status_message, versions.replacement, versions.digest,
       versions.document_digest, versions.spec, versions.content, versions.dependencies,
       versions.pins, versions.provenance, versions.labels, versions.revision,
       versions.created_at, versions.created_by, versions.updated_at,
       assets.kind, assets.namespace, assets.name,
       (SELECT group_concat(own_aliases.name, ',') FROM aliases AS own_aliases
        WHERE own_aliases.version_id = versions.id)
FROM versions JOIN assets ON versions.asset_id = assets.id
"""
_BY_NAME = "assets.kind = :kind AND assets.namespace = :namespace AND assets.name = :name"
_PRECEDENCE_DESC = (
    "ORDER BY versions.major DESC, versions.minor DESC, versions.patch DESC, versions.prerelease_key DESC"
)

ASSET_BY_NAME = f"SELECT id, kind, namespace, name, created_at, created_by FROM assets WHERE {_BY_NAME}"
VERSION_BY_KEY = f"{_VERSION} WHERE {_BY_NAME} AND versions.version_key = :key"
VERSION_BY_ID = f"{_VERSION} WHERE versions.id = :id"
VERSION_BY_DIGEST = f"{_VERSION} WHERE {_BY_NAME} AND versions.digest = :digest {_PRECEDENCE_DESC} LIMIT 1"
# The alias by its key (the asset and the name), then its version, as the SQL store joins them.
VERSION_BY_ALIAS = (
    f"{_VERSION} JOIN aliases ON aliases.asset_id = assets.id AND aliases.version_id = versions.id"
    f" WHERE {_BY_NAME} AND aliases.name = :alias"
)
PIN_TARGET = "SELECT id, asset_id, version, digest FROM versions WHERE id = :id"
# Digests starting with a prefix: a range on the (asset_id, digest) index, as the SQL store reads it.
DIGESTS = (
    "SELECT DISTINCT versions.digest FROM versions JOIN assets ON versions.asset_id = assets.id"
    f" WHERE {_BY_NAME} AND versions.digest >= :low AND versions.digest < :high ORDER BY versions.digest LIMIT :limit"
)
# (include_prerelease, only_active) -> the asset's version numbers, highest precedence first.
NUMBERS = {
    (include_prerelease, only_active): (
        "SELECT versions.id, versions.version FROM versions JOIN assets ON versions.asset_id = assets.id"
        f" WHERE {_BY_NAME}"
        + ("" if include_prerelease else " AND versions.is_prerelease = 0")
        + (" AND versions.status = 'active'" if only_active else " AND versions.status != 'yanked'")
        + f" {_PRECEDENCE_DESC}"
    )
    for include_prerelease in (False, True)
    for only_active in (False, True)
}
VERSIONS_PAGE = f"{_VERSION} WHERE versions.asset_id = :asset_id {_PRECEDENCE_DESC} LIMIT :limit"
VERSIONS_PAGE_BEFORE = (
    f"{_VERSION} WHERE versions.asset_id = :asset_id"
    " AND (versions.major, versions.minor, versions.patch, versions.prerelease_key)"
    " < (:b_major, :b_minor, :b_patch, :b_pre)"
    f" {_PRECEDENCE_DESC} LIMIT :limit"
)
LABEL_REVISION_AT = (
    "SELECT revision, labels, created_at, created_by FROM label_revisions"
    " WHERE version_id = :id AND created_at <= :moment ORDER BY revision DESC LIMIT 1"
)

READER_MMAP_BYTES = 1 << 30
_RETRY = "the database cannot serve the request now; retry"


class SqliteReadStore:
    """Read transactions (snapshots) on connections of its own, one per concurrent reader, kept
    open. Open it with ``SqliteReadStore.open``; it never writes."""

    backend = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = path
        self._busy_timeout_ms = int(busy_timeout_ms)
        # deque's append and pop are atomic: taking and returning a connection needs no lock.
        self._idle: collections.deque[sqlite3.Connection] = collections.deque()
        self._connections: list[sqlite3.Connection] = []

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = 30_000) -> SqliteReadStore | None:
        """The store over the database at ``path`` when it exists and its schema is this
        release's; None otherwise (to create, migrate or refuse, which storage.migrate decides)."""
        head = revisions.head_revision()
        if head is None or not path.is_file():
            return None
        store = cls(path, busy_timeout_ms=busy_timeout_ms)
        try:
            connection = store._take()
        except StorageError:
            return None
        current = revisions.recorded_revision(connection)
        store._idle.append(connection)
        if current != head:
            store.close()
            return None
        return store

    def _take(self) -> sqlite3.Connection:
        try:
            return self._idle.pop()
        except IndexError:
            pass
        try:
            # mode=rw: never create the file (a read-only file still opens, for reading).
            connection = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None,
                                         check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            # As the SQL store's readers: a page the cache lacks is a memory read, not a system call.
            connection.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
        except sqlite3.Error as exc:
            raise StorageError(_RETRY) from exc
        self._connections.append(connection)
        return connection

    def read(self) -> _Read:
        return _Read(self)

    def close(self) -> None:
        """Close every connection (idempotent)."""
        connections, self._connections = self._connections, []
        self._idle.clear()
        for connection in connections:
            connection.close()


class _Read:
    """A read transaction on an idle connection; database errors leave it as StorageError."""

    __slots__ = ("_connection", "_store")

    def __init__(self, store: SqliteReadStore) -> None:
        self._store = store
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteVersionReader:
        connection = self._connection = self._store._take()
        try:
            connection.execute("BEGIN")
        except sqlite3.Error as exc:
            self._store._idle.append(connection)
            raise StorageError(_RETRY) from exc
        return SqliteVersionReader(connection)

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        connection = self._connection
        assert connection is not None
        try:
            if connection.in_transaction:
                connection.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except sqlite3.Error as error:
            if exc is None:
                raise StorageError(_RETRY) from error
        finally:
            self._store._idle.append(connection)
        if isinstance(exc, sqlite3.Error):
            raise StorageError(_RETRY) from exc


class SqliteVersionReader:
    """One read transaction's connection; implements VersionReader."""

    __slots__ = ("connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @staticmethod
    def _name(kind: Kind, name: AssetName) -> dict[str, Any]:
        return {"kind": kind.value, "namespace": name.namespace, "name": name.name}

    def _one_version(self, sql: str, values: dict[str, Any]) -> VersionRow | None:
        row = self.connection.execute(sql, values).fetchone()
        return version_row(row) if row is not None else None

    def find_asset(self, kind: Kind, name: AssetName) -> AssetRow | None:
        r = self.connection.execute(ASSET_BY_NAME, self._name(kind, name)).fetchone()
        return AssetRow(r[0], Kind(r[1]), r[2], r[3], r[4], r[5]) if r is not None else None

    def find_version(self, kind: Kind, name: AssetName, version_key: str) -> VersionRow | None:
        return self._one_version(VERSION_BY_KEY, {**self._name(kind, name), "key": version_key})

    def find_version_by_digest(self, kind: Kind, name: AssetName, digest: str) -> VersionRow | None:
        return self._one_version(VERSION_BY_DIGEST, {**self._name(kind, name), "digest": digest})

    def find_version_by_alias(self, kind: Kind, name: AssetName, alias: str) -> VersionRow | None:
        return self._one_version(VERSION_BY_ALIAS, {**self._name(kind, name), "alias": alias})

    def find_digests(self, kind: Kind, name: AssetName, prefix: str, *, limit: int) -> list[str]:
        rows = self.connection.execute(DIGESTS, {**self._name(kind, name), "low": prefix, "high": prefix + "g",
                                                  "limit": limit}).fetchall()
        return [str(digest) for (digest,) in rows]

    def iter_version_numbers(
        self, kind: Kind, name: AssetName, *, include_prerelease: bool, only_active: bool
    ) -> Iterator[tuple[str, str]]:
        cursor = self.connection.execute(NUMBERS[(include_prerelease, only_active)], self._name(kind, name))
        try:
            # Small batches: the first match usually sits near the top.
            while batch := cursor.fetchmany(64):
                yield from batch
        finally:
            cursor.close()

    def get_version_by_id(self, version_id: str) -> VersionRow:
        row = self._one_version(VERSION_BY_ID, {"id": version_id})
        assert row is not None, version_id
        return row

    def get_pin_target(self, version_id: str) -> PinTarget:
        ((id_, asset_id, version, digest),) = self.connection.execute(PIN_TARGET, {"id": version_id}).fetchall()
        return PinTarget(id_, asset_id, version, digest)

    def list_versions(self, asset_id: str, *, before: tuple[int, int, int, str] | None, limit: int) -> list[VersionRow]:
        if before is None:
            rows = self.connection.execute(VERSIONS_PAGE, {"asset_id": asset_id, "limit": limit}).fetchall()
        else:
            values = {"asset_id": asset_id, "limit": limit, "b_major": before[0], "b_minor": before[1],
                      "b_patch": before[2], "b_pre": before[3]}
            rows = self.connection.execute(VERSIONS_PAGE_BEFORE, values).fetchall()
        return [version_row(r) for r in rows]

    def find_label_revision_at(self, version_id: str, moment: str) -> LabelRevisionRow | None:
        r = self.connection.execute(LABEL_REVISION_AT, {"id": version_id, "moment": moment}).fetchone()
        return LabelRevisionRow(r[0], orjson.loads(r[1]), r[2], r[3]) if r is not None else None
