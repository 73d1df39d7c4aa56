"""Schema migrations: one Alembic chain for SQLite and PostgreSQL.

Opening a registry on an empty database creates the schema; a database at an older
revision is never migrated silently (``llm-registry db upgrade`` does that), and one at an
unknown (newer) revision is refused.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from llm_registry.errors import StorageError

_SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest revision this release knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None when it has no schema yet."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not sa.inspect(connection).get_table_names()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate the database to ``revision``; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(engine) or ""


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse one that is not at head.

    Raises StorageError ``schema_outdated`` (run ``db upgrade``) or ``schema_newer``.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        if not _is_empty(engine):
            raise StorageError(
                "the database has tables but no llm-registry schema revision; refusing to touch it",
                code="schema_outdated",
            )
        upgrade(engine)
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
