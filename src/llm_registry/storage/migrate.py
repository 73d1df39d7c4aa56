"""Schema migrations: one Alembic chain for SQLite and PostgreSQL.

Opening a registry on an empty database creates the schema; a database at an older
revision is never migrated silently (``llm-registry db upgrade`` does that), and one at an
unknown (newer) revision is refused. Alembic is imported when it has work: an open that finds
the database at head reads the revision with one query (``storage.revisions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from llm_registry.errors import StorageError
from llm_registry.storage import revisions
from llm_registry.storage.engine import check_reachable

if TYPE_CHECKING:
    from alembic.config import Config

_SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest revision this release knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Held while the schema is created or migrated, so concurrent openers wait their turn.
_SCHEMA_LOCK = 0x6C6C6D73


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[sa.Connection]:
    """A transaction holding the schema lock: SQLite's write lock (``BEGIN IMMEDIATE``) or a
    PostgreSQL advisory transaction lock. DDL in it commits or rolls back as one.

    On SQLite, foreign keys are off for the transaction (a pragma that only takes effect
    outside one), as SQLite's procedure for rebuilding a table requires: dropping the old copy
    of a parent table must not cascade to its children. Before committing, every foreign key
    is checked; a violation rolls the whole migration back.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            connection = connection.execution_options(sqlite_immediate=True)
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
                yield connection
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _check_foreign_keys(connection: sa.Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if violations:
        table, rowid, parent, _ = violations[0]
        raise StorageError(
            f"the migration left {len(violations)} rows whose foreign keys point nowhere"
            f" (first: {table} row {rowid} -> {parent}); nothing was changed",
            code="migration_failed",
        )


def _run(connection: sa.Connection, step: Callable[[Config, str], None], revision: str) -> None:
    """Run an Alembic command (``command.upgrade`` or ``command.downgrade``) on ``connection``."""
    config = _config()
    config.attributes["connection"] = connection
    step(config, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> tuple[str | None, str]:
    from alembic.runtime.migration import MigrationContext

    with _schema_lock(engine) as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        _run(connection, step, revision)
        after = MigrationContext.configure(connection).get_current_revision()
    return before, after or ""


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate the database to ``revision``; returns (revision before, revision after)."""
    from alembic import command

    return _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str]:
    """Migrate the database back to ``revision`` (tests and recovery; back it up first)."""
    from alembic import command

    return _migrate(engine, command.downgrade, revision)


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this release."""

    current: str | None  # None: an empty database
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def require_current(self) -> str:
        """The revision; raises StorageError (``schema_outdated``) when it is not this release's."""
        if self.current != self.head:
            raise StorageError(
                f"the database schema is at {self.current or '(empty)'}, this release needs {self.head}",
                code="schema_outdated",
            )
        return self.current


def schema_status(engine: Engine) -> SchemaStatus:
    """The database's schema revision and this release's; raises StorageError when unreachable."""
    check_reachable(engine)
    return SchemaStatus(current_revision(engine), head_revision())


def _recorded_revision(engine: Engine) -> str | None:
    """The one revision ``alembic_version`` holds, read with a query (None: no table, or not one row)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return str(rows[0][0]) if len(rows) == 1 else None


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse one that is not at head.

    Raises StorageError ``schema_outdated`` (run ``db upgrade``) or ``schema_newer``.
    """
    scripts_head = revisions.head_revision()
    if scripts_head is not None and _recorded_revision(engine) == scripts_head:
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if current is None:
        with _schema_lock(engine) as connection:
            # Another process may have created it while this one waited for the lock.
            current = MigrationContext.configure(connection).get_current_revision()
            if current is None:
                if sa.inspect(connection).get_table_names():
                    raise StorageError(
                        "the database has tables but no llm-registry schema revision; refusing to touch it",
                        code="schema_outdated",
                    )
                _run(connection, command.upgrade, "head")
                return
        if current == head:
            return
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current in known:
        raise StorageError(
            f"the database schema is at revision {current}, this release needs {head}: "
            "run `llm-registry db upgrade` (back the database up first)",
            code="schema_outdated",
        )
    raise StorageError(
        f"the database schema is at revision {current}, which this release does not know: upgrade llm-registry",
        code="schema_newer",
    )
