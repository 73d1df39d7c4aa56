"""Statements compiled once per dialect and run on the driver's cursor.

The hot paths (a lookup, a registration) run a handful of statements thousands of times a
second; building and cache-keying SQLAlchemy constructs on each call costs more than the
database does. These are compiled from the same Core constructs once, with named bind
parameters, and executed on the connection's DBAPI cursor inside the transaction that
SQLAlchemy opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa


class CompiledStatement:
    __slots__ = ("defaults", "names", "positional", "sql")

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql: str = str(compiled)
        self.positional: bool = bool(compiled.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ()) if self.positional else ()
        # Literal values bound at build time (LIMIT 1, status = 'active', …).
        self.defaults: dict[str, Any] = {k: v for k, v in compiled.params.items() if v is not None}

    def _params(self, values: Mapping[str, Any]) -> Any:
        if self.defaults:
            values = {**self.defaults, **values}
        if self.positional:
            return tuple(map(values.__getitem__, self.names))
        return values

    def fetch(self, connection: sa.Connection, values: Mapping[str, Any]) -> list[Any]:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self._params(values))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def execute(self, connection: sa.Connection, values: Mapping[str, Any]) -> int:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self._params(values))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self.sql, [self._params(values) for values in rows])
        finally:
            cursor.close()


def dump_json(value: Any) -> str | None:
    """A JSON parameter (text on SQLite, cast to JSONB by the compiled SQL on PostgreSQL)."""
    return None if value is None else orjson.dumps(value).decode()


def load_json(value: Any) -> Any:
    """A JSON column as the driver returns it: text on SQLite, already parsed on PostgreSQL."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value
