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


class BulkInsert:
    """Many rows into one table: on PostgreSQL one statement, the rows bound as one JSON array
    and turned back into rows by ``json_to_recordset`` (an executemany there still runs, and
    binds parameters for, one statement per row; orjson writes the array in C); elsewhere the
    ``fallback`` insert by executemany, whose loop SQLite runs in C.

    ``columns`` are the table's columns the rows give (JSON ones as text, as to the fallback);
    on PostgreSQL ``inputs`` (name: SQL type) are further values of each row, and ``computed``
    (column: SQL over ``x.<input>``) the columns computed from them. Rows are inserted in the
    order given, so that defaults from a sequence follow it. ``suffix`` ends the statement
    (``ON CONFLICT DO NOTHING``).
    """

    __slots__ = ("fallback", "sql")

    def __init__(
        self,
        table: sa.Table,
        columns: Sequence[str],
        dialect: sa.Dialect,
        *,
        fallback: CompiledStatement,
        inputs: Mapping[str, str] | None = None,
        computed: Mapping[str, str] | None = None,
        suffix: str = "",
    ) -> None:
        self.fallback = fallback
        self.sql: str | None = None
        if dialect.name != "postgresql":
            return
        fields, selects = [], []
        for name in columns:
            column_type = table.c[name].type.dialect_impl(dialect)
            if isinstance(column_type, sa.JSON):
                fields.append(f'"{name}" text')
                selects.append(f'x."{name}"::{column_type.compile(dialect=dialect)}')
            else:
                fields.append(f'"{name}" {_RECORD_TYPES.get(type(column_type).__visit_name__, "text")}')
                selects.append(f'x."{name}"')
        fields.extend(f'"{name}" {sql_type}' for name, sql_type in (inputs or {}).items())
        selects.extend((computed or {}).values())
        targets = ", ".join(f'"{name}"' for name in (*columns, *(computed or {})))
        names = ", ".join(f'"{name}"' for name in (*columns, *(inputs or {})))
        self.sql = (
            f"INSERT INTO {table.name} ({targets}) SELECT {', '.join(selects)}"
            f" FROM ROWS FROM (json_to_recordset(%s::json) AS ({', '.join(fields)}))"
            f" WITH ORDINALITY AS x({names}, ord) ORDER BY x.ord {suffix}"
        ).rstrip()

    def execute(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if self.sql is None:
            self.fallback.execute_many(connection, rows)
            return
        params = (orjson.dumps(rows).decode(),)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, params)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise translate(exc, self.sql, params, connection) from exc
        finally:
            cursor.close()


# Types of the record fields by the columns' types (SQLAlchemy's visit names); text otherwise.
_RECORD_TYPES = {"big_integer": "bigint", "integer": "integer", "small_integer": "smallint", "boolean": "boolean"}
