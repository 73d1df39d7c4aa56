"""Schema migrations on both backends: an empty database gets the schema at head; a database at an
unknown revision or without our revision is refused; `upgrade` is idempotent; models and
migrations agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from llm_registry import bootstrap
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import StorageError
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from llm_registry.storage import migrate, revisions
from llm_registry.storage.tables import UNMODELLED_TABLE_PREFIXES, metadata
from tests.foundation.conftest import TABLES, database_state, model


@pytest.fixture
def engine(location: str) -> Iterator[sa.Engine]:
    """An engine on the empty database of ``location``, schema not checked."""
    store = bootstrap.create_store(location, Settings())
    yield store.engine
    store.close()


def open_registry(location: str) -> EmbeddedRegistry:
    opened = Registry.open(location, settings=Settings(), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    return opened


def table_names(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_opening_an_empty_database_creates_the_schema_at_head(location: str, engine: sa.Engine) -> None:
    assert table_names(engine) == set()
    with open_registry(location) as registry:
        registry.register(model())
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert set(TABLES) | {"alembic_version"} <= table_names(engine)
    with open_registry(location) as again:  # a second open finds the schema and the data
        assert again.get("model:acme/base@1.0.0").version == "1.0.0"


def test_sqlite_url_location_works_like_a_folder(tmp_path: Path) -> None:
    with open_registry(f"sqlite:///{tmp_path / 'r.db'}") as registry:
        registry.register(model())
    assert (tmp_path / "r.db").exists()
    with open_registry(f"sqlite:///{tmp_path / 'r.db'}") as registry:
        assert registry.resolve("model:acme/base").version == "1.0.0"


def test_the_scripts_read_without_alembic_have_alembic_s_head() -> None:
    assert revisions.head_revision() == migrate.head_revision()


def test_an_open_at_head_reads_the_revision_without_alembic(location: str, engine: sa.Engine,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    migrate.upgrade(engine)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Alembic was asked about a database at head")

    monkeypatch.setattr(MigrationContext, "configure", refuse)
    migrate.ensure_schema(engine)
    with open_registry(location) as registry:
        registry.register(model())


def test_upgrade_is_idempotent(location: str, engine: sa.Engine) -> None:
    head = migrate.head_revision()
    assert migrate.upgrade(engine) == (None, head)
    with open_registry(location) as registry:
        registry.register(model())
        state = database_state(registry)
        assert migrate.upgrade(engine) == (head, head)
        assert migrate.upgrade(engine) == (head, head)
        assert database_state(registry) == state


def test_a_database_at_an_unknown_revision_is_refused_as_newer(location: str, engine: sa.Engine) -> None:
    with open_registry(location) as registry:
        registry.register(model())
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(StorageError) as info:
        open_registry(location)
    assert info.value.code == "schema_newer"
    assert "upgrade llm-registry" in info.value.message
    assert migrate.current_revision(engine) == "9999_from_the_future"  # untouched


def test_a_database_at_an_older_known_revision_is_refused_until_db_upgrade(location: str, engine: sa.Engine) -> None:
    scripts = ScriptDirectory(str(Path(migrate.__file__).parent / "migrations"))
    head = scripts.get_revision(migrate.head_revision())
    if head is None or head.down_revision is None:
        pytest.skip("the migration chain has one revision: no older schema exists yet")
    older = str(head.down_revision)
    migrate.upgrade(engine, older)
    with pytest.raises(StorageError) as info:
        open_registry(location)
    assert info.value.code == "schema_outdated"
    assert "db upgrade" in info.value.message
    assert migrate.current_revision(engine) == older  # never migrated silently
    assert migrate.upgrade(engine) == (older, head.revision)
    with open_registry(location) as registry:
        registry.register(model())


def test_a_non_empty_database_without_our_revision_is_refused_and_left_alone(location: str,
                                                                             engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY, note TEXT)"))
        connection.execute(sa.text("INSERT INTO someone_elses (id, note) VALUES (1, 'keep me')"))
    with pytest.raises(StorageError) as info:
        open_registry(location)
    assert info.value.code in ("schema_outdated", "storage_unavailable")
    assert table_names(engine) == {"someone_elses"}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT note FROM someone_elses")).scalar_one() == "keep me"


def test_models_and_migrations_agree(location: str, engine: sa.Engine) -> None:
    migrate.upgrade(engine)

    def modelled(name: str | None, type_: str, _parent: object) -> bool:
        return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_TABLE_PREFIXES))

    def for_this_dialect(item: object, _name: object, type_: str, reflected: bool, _other: object) -> bool:
        # An index declared with ddl_if(dialect=…) exists only there (the GIN index of PostgreSQL search).
        only = getattr(getattr(item, "_ddl_if", None), "dialect", None)
        return reflected or type_ != "index" or only is None or only == engine.dialect.name

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": True, "include_name": modelled,
                  "include_object": for_this_dialect},
        )
        assert compare_metadata(context, metadata) == []


def test_the_migration_chain_has_one_head_and_one_base() -> None:
    scripts = ScriptDirectory(str(Path(migrate.__file__).parent / "migrations"))
    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1
    assert migrate.head_revision() == scripts.get_current_head()
