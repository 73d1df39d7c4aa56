"""The SQLite read store (``sqlite3`` alone) against the SQL store on the same database: every
read of ``VersionReader`` answers the same rows; it opens only a database at this release's
schema; database errors leave it as StorageError."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from llm_registry import bootstrap
from llm_registry.assets import store_sqlite_read
from llm_registry.assets.interfaces import VersionReader
from llm_registry.assets.store_sqlite_read import SqliteReadStore
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.domain.versions import cached_version, version_key
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import StorageError
from llm_registry.settings import Settings
from llm_registry.storage import migrate
from llm_registry.storage.schema import versions
from tests.foundation.conftest import depends, model

VERSIONS = ["1.1.0", "1.0.0", "1.2.0", "1.3.0-beta.1", "2.0.0-rc.2", "1.1.5", "2.0.0-rc.1", "0.9.0", "1.0.1+build.3",
            "2.0.0-rc.10", "10.0.0", "2.0.0"]
LLAMA = AssetName("meta", "llama")
NAMES = [LLAMA, AssetName("meta", "gone"), AssetName("meta", "absent"), AssetName("other", "llama")]
KEYS = [*(version_key(cached_version(v)) for v in ("1.0.0", "1.2.0", "1.0.1", "2.0.0-rc.10", "3.0.0")), "garbage"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedRegistry, SqliteReadStore]]:
    """A SQLite registry with prereleases, build metadata, a yanked, a deprecated and an aliased
    version, label revisions and a dependency; the SQL store and the read store over it."""
    folder = tmp_path_factory.mktemp("read-store")
    with EmbeddedRegistry(str(folder), settings=Settings(), actor="tester") as registry:
        for version in VERSIONS:
            registry.register(model(name="meta/llama", version=version, labels={"tags": [version]}))
        registry.register(model(name="meta/gone", version="1.0.0", dependencies=[depends("model:meta/llama@^1.0")]))
        registry.yank("model:meta/llama@1.2.0", reason="broken weights")
        registry.yank("model:meta/gone@1.0.0")
        registry.deprecate("model:meta/llama@1.1.5", message="use 1.1.0", replacement="model:meta/llama@1.1.0")
        registry.set_alias("model:meta/llama", "production", "1.0.0")
        registry.set_alias("model:meta/llama", "canary", "1.0.0")
        registry.set_alias("model:meta/llama", "beta", "2.0.0-rc.10")
        registry.label("model:meta/llama@1.0.0", description="the first", tags=["stable"])
        registry.label("model:meta/llama@1.0.0", license="mit")
        store = bootstrap.open_read_store(str(folder), registry.settings)
        assert store is not None
        try:
            yield registry, store
        finally:
            store.close()


def both(corpus: tuple[EmbeddedRegistry, SqliteReadStore], read: Callable[[VersionReader], Any]) -> None:
    """``read`` answers the same through the SQL store and through the read store."""
    registry, store = corpus
    with registry.store.read() as tx:
        expected = read(tx)
    with store.read() as reader:
        assert read(reader) == expected


def ids(registry: EmbeddedRegistry) -> list[str]:
    """The ids of every version of meta/llama, yanked ones too."""
    with registry.store.read() as tx:
        asset = tx.find_asset(Kind.MODEL, LLAMA)
        assert asset is not None
        return [row.id for row in tx.list_versions(asset.id, before=None, limit=100)]


def test_it_reads_every_column_of_versions_in_table_order() -> None:
    selected = store_sqlite_read.VERSION_BY_ID.partition("assets.kind")[0]
    assert re.findall(r"versions\.(\w+)", selected) == [column.name for column in versions.c], (
        "a column of `versions` changed: update the statements of assets/store_sqlite_read.py and assets/rows.py"
    )


@pytest.mark.parametrize("name", NAMES)
def test_find_asset(corpus: tuple[EmbeddedRegistry, SqliteReadStore], name: AssetName) -> None:
    both(corpus, lambda r: [r.find_asset(kind, name) for kind in (Kind.MODEL, Kind.DATASET)])


@pytest.mark.parametrize("name", NAMES)
def test_find_version_by_key(corpus: tuple[EmbeddedRegistry, SqliteReadStore], name: AssetName) -> None:
    both(corpus, lambda r: [r.find_version(Kind.MODEL, name, key) for key in KEYS])


def test_find_version_by_alias(corpus: tuple[EmbeddedRegistry, SqliteReadStore]) -> None:
    aliases = ["production", "canary", "beta", "latest", "absent"]
    both(corpus, lambda r: [r.find_version_by_alias(Kind.MODEL, name, a) for name in NAMES for a in aliases])


def test_find_version_by_digest(corpus: tuple[EmbeddedRegistry, SqliteReadStore]) -> None:
    registry, _ = corpus
    digests = [registry.get(f"model:meta/llama@{v}").digest for v in ("1.0.0", "2.0.0-rc.1")] + ["sha256:" + "0" * 64]
    both(corpus, lambda r: [r.find_version_by_digest(Kind.MODEL, name, d) for name in NAMES for d in digests])


@pytest.mark.parametrize("include_prerelease", [False, True])
@pytest.mark.parametrize("only_active", [False, True])
def test_iter_version_numbers(corpus: tuple[EmbeddedRegistry, SqliteReadStore], include_prerelease: bool,
                              only_active: bool) -> None:
    both(corpus, lambda r: [list(r.iter_version_numbers(Kind.MODEL, name, include_prerelease=include_prerelease,
                                                        only_active=only_active)) for name in NAMES])


def test_get_version_by_id_and_pin_target(corpus: tuple[EmbeddedRegistry, SqliteReadStore]) -> None:
    version_ids = ids(corpus[0])
    assert len(version_ids) == len(VERSIONS)
    both(corpus, lambda r: [(r.get_version_by_id(i), r.get_pin_target(i)) for i in version_ids])


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_list_versions_page_by_page(corpus: tuple[EmbeddedRegistry, SqliteReadStore], limit: int) -> None:
    registry, _ = corpus
    with registry.store.read() as tx:
        asset = tx.find_asset(Kind.MODEL, LLAMA)
        assert asset is not None
        pages = [None] + [(r.major, r.minor, r.patch, r.prerelease_key) for r in tx.list_versions(
            asset.id, before=None, limit=100)]
    both(corpus, lambda r: [r.list_versions(asset.id, before=b, limit=limit) for b in pages])


def test_find_label_revision_at(corpus: tuple[EmbeddedRegistry, SqliteReadStore]) -> None:
    registry, _ = corpus
    first = registry.get("model:meta/llama@1.0.0")
    moments = ["2000-01-01T00:00:00.000000Z", first.created_at, first.updated_at, "2999-01-01T00:00:00.000000Z"]
    version_ids = ids(registry)
    both(corpus, lambda r: [r.find_label_revision_at(i, m) for i in version_ids for m in moments])


def test_the_embedded_registry_reads_versions_through_it_on_sqlite(
    corpus: tuple[EmbeddedRegistry, SqliteReadStore], tmp_path: Path
) -> None:
    registry, _ = corpus
    with EmbeddedRegistry(registry.location, settings=Settings()) as reader:
        assert reader.get("model:meta/llama@production") == registry.services.catalog.get("model:meta/llama@1.0.0")
        assert reader._services is None  # nothing but versions was read: no services built
        assert reader.versions("model:meta/llama").items[0].version == "10.0.0"
        assert reader.assets().items  # any other read builds the services
        assert reader._services is not None


def test_it_opens_only_a_database_at_this_release_s_schema(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    assert SqliteReadStore.open(path) is None  # no database
    assert not path.exists()  # and none was created
    path.write_bytes(b"not a database, not at all" * 100)
    assert SqliteReadStore.open(path) is None
    path.unlink()
    sqlite3.connect(path).close()  # an empty database
    assert SqliteReadStore.open(path) is None
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine, "0001")
        assert SqliteReadStore.open(path) is None  # an older schema: storage.migrate refuses it
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    store = SqliteReadStore.open(path)
    assert store is not None
    store.close()


def test_database_errors_leave_as_storage_errors(tmp_path: Path) -> None:
    with EmbeddedRegistry(str(tmp_path), settings=Settings(), actor="tester") as registry:
        registry.register(model())
    store = bootstrap.open_read_store(str(tmp_path), Settings())
    assert store is not None
    with sqlite3.connect(tmp_path / "registry.db") as connection:
        connection.execute("ALTER TABLE versions RENAME TO versions_elsewhere")
    try:
        with pytest.raises(StorageError) as info, store.read() as reader:
            reader.find_version(Kind.MODEL, AssetName("acme", "base"), "1.0.0")
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        with store.read() as reader:  # the connection went back, its transaction ended
            assert reader.find_asset(Kind.MODEL, AssetName("acme", "base")) is not None
    finally:
        store.close()
