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
        params = self._params(values)
        try:
            cursor.execute(self.sql, params)
            return list(cursor.fetchall())
        except connection.dialect.loaded_dbapi.Error as exc:
            raise translate(exc, self.sql, params, connection) from exc
        finally:
            cursor.close()

    def execute(self, connection: sa.Connection, values: Mapping[str, Any]) -> int:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        params = self._params(values)
        try:
            cursor.execute(self.sql, params)
            return int(cursor.rowcount)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise translate(exc, self.sql, params, connection) from exc
        finally:
            cursor.close()

    def execute_many(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        params = [self._params(values) for values in rows]
        try:
            cursor.executemany(self.sql, params)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise translate(exc, self.sql, params, connection) from exc
        finally:
            cursor.close()


def translate(error: Exception, sql: str, params: Any, connection: sa.Connection) -> Exception:
    """The driver's error as SQLAlchemy's (IntegrityError, OperationalError, …), as a
    statement run through SQLAlchemy would have raised it."""
    dbapi = connection.dialect.loaded_dbapi
    return sa.exc.DBAPIError.instance(sql, params, error, dbapi.Error, dialect=connection.dialect)


def dump_json(value: Any) -> str | None:
    """A JSON parameter (text on SQLite, cast to JSONB by the compiled SQL on PostgreSQL)."""
    return None if value is None else orjson.dumps(value).decode()


def load_json(value: Any) -> Any:
    """A JSON column as the driver returns it: text on SQLite, already parsed on PostgreSQL."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value
