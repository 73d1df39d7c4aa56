"""Migration 0004 (versions as a rowid table on SQLite, covering and partial indexes) keeps every
row and answer, both ways; on SQLite it runs with foreign keys off and refuses to commit a
database whose foreign keys it would leave dangling."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import StorageError
from llm_registry.storage import migrate

SEARCHES: list[dict[str, Any]] = [
    {"query": "support", "facets": ["kind", "tags", "spec.architecture"]},
    {"sort": "name"},
    {"sort": "created", "all_versions": True},
    {"filter": "spec.context_length >= 8192", "sort": "updated"},
]


def _state(registry: EmbeddedRegistry) -> dict[str, Any]:
    """Every version document, alias, label history, dependent and search answer."""
    documents = {}
    for asset in registry.assets(limit=1000).items:
        ref = f"{asset.kind.value}:{asset.name}"
        for summary in registry.versions(ref).items:
            version_ref = f"{ref}@{summary.version}"
            documents[version_ref] = (
                registry.get(version_ref).model_dump(),
                [r.model_dump() for r in registry.label_history(version_ref)],
            )
        documents[ref] = [a.model_dump() for a in registry.aliases(ref)]
    return {
        "documents": documents,
        "resolved": registry.resolve("model:acme/llama-support@^1.0 || ^2.0").version,
        "impact": registry.impact("model:meta/llama-3-8b@1.0.0").model_dump(),
        "searches": [registry.search(**search, limit=100).model_dump() for search in SEARCHES],
    }


def _versions_has_rowid(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        sql = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'versions'").scalar_one()
    return "WITHOUT ROWID" not in sql


def test_downgrade_and_upgrade_keep_every_row_and_answer(corpus: EmbeddedRegistry) -> None:
    corpus.label("model:acme/llama-support@1.0.0", tags=["reviewed"])
    corpus.set_alias("model:acme/llama-support", "production", "1.0.0")
    corpus.yank("model:beta/mistral-chat@1.0.0", reason="bad weights")
    before = _state(corpus)
    engine: sa.Engine = corpus.store.engine  # type: ignore[attr-defined]
    sqlite = engine.dialect.name == "sqlite"

    head = migrate.head_revision()  # 0004 and every revision after it, undone and done again
    assert migrate.downgrade(engine, "0003") == (head, "0003")
    if sqlite:
        assert not _versions_has_rowid(engine)
    assert migrate.upgrade(engine) == ("0003", head)
    if sqlite:
        assert _versions_has_rowid(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    migrate.upgrade(engine)  # and the revisions after this one

    assert _state(corpus) == before
    corpus.register({"kind": "model", "name": "acme/llama-support", "version": "2.1.0",
                     "dependencies": [{"ref": "dataset:acme/support-tickets@^1", "relation": "trained_on"}]})
    assert corpus.get("model:acme/llama-support").version == "2.1.0"
    current = {hit.ref for hit in corpus.search(sort="name", limit=100).items}
    assert "model:acme/llama-support@2.1.0" in current
    assert "model:acme/llama-support@2.0.0" not in current


def test_sqlite_upgrade_with_dangling_foreign_keys_changes_nothing(corpus: EmbeddedRegistry) -> None:
    engine: sa.Engine = corpus.store.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL checks foreign keys on every statement; it cannot hold a dangling one")
    migrate.downgrade(engine, "0003")
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        driver.execute("PRAGMA foreign_keys = OFF")
        driver.execute(
            "INSERT INTO aliases (asset_id, name, version_id, updated_at, updated_by)"
            " SELECT id, 'ghost', '01HZZZZZZZZZZZZZZZZZZZZZZZ', created_at, 'tester' FROM assets LIMIT 1"
        )
        driver.execute("PRAGMA foreign_keys = ON")

    with pytest.raises(StorageError) as info:
        migrate.upgrade(engine)
    assert info.value.code == "migration_failed"
    assert "aliases" in info.value.message
    assert migrate.current_revision(engine) == "0003"
    assert not _versions_has_rowid(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM versions").scalar_one() == 7
        assert connection.exec_driver_sql("SELECT count(*) FROM dependencies").scalar_one() == 4
