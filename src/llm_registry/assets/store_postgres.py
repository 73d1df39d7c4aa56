"""PostgreSQL: pooled psycopg 3 connections; event commits kept in cursor order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.store_sql import SqlAssetStore, SqlTransaction
from llm_registry.assets.store_sql_batch import BatchedTransaction
from llm_registry.storage.engine import create_postgres_engine
from llm_registry.storage.errors import database_errors
from llm_registry.storage.schema import assets

# Constants shared by every writer: the outbox's commit order, and the asset graph.
_OUTBOX_LOCK = 0x6C6C6D72
_GRAPH_LOCK = 0x6C6C6D67


class PostgresTransaction(SqlTransaction):
    def batched(self) -> BatchedTransaction:
        return BatchedTransaction(self)

    def before_event(self) -> None:
        # Sequence values are handed out before commit, so without this a reader could see
        # event 12 committed before event 11 and skip 11 for ever. Holding a transaction
        # lock from the event insert to commit makes commit order equal cursor order.
        self._lock(_OUTBOX_LOCK)

    def lock_dependency_graph(self) -> None:
        # READ COMMITTED alone would let a->b and b->a both pass the cycle check at once.
        self._lock(_GRAPH_LOCK)

    def lock_asset(self, asset_id: str) -> bool:
        # READ COMMITTED lets two transactions read the same alias or revision, then both write:
        # the second would hit a unique key (or record a stale "before"). The asset's row lock
        # makes them take turns; the second then reads what the first committed.
        if ("asset", asset_id) in self.locks:
            return False
        self.connection.execute(sa.select(assets.c.id).where(assets.c.id == asset_id).with_for_update())
        self.locks.add(("asset", asset_id))
        return True

    def _lock(self, key: int) -> None:
        """Take a transaction-scoped advisory lock, once per transaction (a batch appends many events)."""
        if key not in self.locks:
            self.connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            self.locks.add(key)


class PostgresAssetStore(SqlAssetStore):
    backend = "postgresql"
    transaction_class = PostgresTransaction

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        super().__init__(create_postgres_engine(url, pool_size=pool_size))
        self.url = url
        # Under READ COMMITTED every statement sees its own snapshot anyway, so a read
        # transaction buys no consistency; autocommit saves its BEGIN and COMMIT round trips.
        self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with database_errors(self.driver_error), self._read_engine.connect() as connection:
            yield self.transaction_class(connection, self.statements)

    def _aggregate(self, column: Any) -> Any:
        return sa.func.string_agg(column, ",")
