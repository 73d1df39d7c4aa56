"""The database schema: ``db upgrade`` and ``db current``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from llm_registry.cli.output import emit_json, notice, redact_location
from llm_registry.cli.session import CliState, JsonOption, current_state, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

db_app = typer.Typer(name="db", help="Inspect and migrate the registry's database schema.", no_args_is_help=True)


@contextmanager
def _database(state: CliState) -> Iterator[tuple[str, Engine]]:
    """The location (redacted, for printing) and an engine on its database; refuses a remote registry."""
    from llm_registry import bootstrap
    from llm_registry.errors import ValidationError
    from llm_registry.storage.engine import check_reachable

    settings = load_settings(state)
    location = settings.url
    if bootstrap.is_remote(location):
        raise ValidationError(
            f"{redact_location(location)} is a server: run db commands against its database "
            "(a folder, sqlite:///FILE or postgresql://…) where the server runs",
            code="invalid_parameter", field="registry",
        )
    store = bootstrap.create_store(location, settings)
    try:
        check_reachable(store.engine)
        yield redact_location(location), store.engine
    finally:
        store.close()


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Migrate the database to this release's schema (creating it when empty)."""
    from llm_registry.storage import migrate

    state = current_state(ctx, json_output)
    with _database(state) as (location, engine):
        before, after = migrate.upgrade(engine)
    if state.json:
        emit_json({"location": location, "from": before, "to": after})
    elif before == after:
        notice(f"{location}: already at revision {after}")
    else:
        notice(f"{location}: upgraded {before or '(empty)'} → {after}")


@db_app.command("current")
def current(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show the database's schema revision and the one this release needs."""
    from llm_registry.storage import migrate

    state = current_state(ctx, json_output)
    with _database(state) as (location, engine):
        status = migrate.schema_status(engine)
    if state.json:
        emit_json({"location": location, "current": status.current, "head": status.head,
                   "up_to_date": status.up_to_date})
        return
    notice(f"location: {location}")
    notice(f"current:  {status.current or '(empty)'}")
    notice(f"head:     {status.head}")
    notice("up to date" if status.up_to_date else "run `llm-registry db upgrade` (back the database up first)")


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to ``app``."""
    app.add_typer(db_app)
