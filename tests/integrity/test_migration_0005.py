"""Migration 0005 (version_files) on both backends: the upgrade fills the table from the versions
registered before it, exactly as registrations fill it; the downgrade drops it."""

from __future__ import annotations

import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.storage import migrate
from tests.integrity.test_blob_service import indexed, with_files

A = {"digest": "sha256:" + "a" * 64, "size": 1}
B = {"digest": "sha256:" + "b" * 64, "size": 22}


def test_upgrade_backfills_the_files_of_existing_versions(blob_registry: EmbeddedRegistry) -> None:
    registry = blob_registry
    for number in range(3):
        registry.register(with_files(f"acme/d{number}", {"a.bin": A, f"dir/{number}.bin": B}))
    registry.register({"kind": "prompt", "name": "acme/p", "version": "1.0.0", "spec": {"template": "hi"}})
    registry.register({"kind": "model", "name": "acme/m", "version": "1.0.0", "content": {"uri": "s3://x/y"}})
    written = indexed(registry)
    assert len(written) == 4  # a.bin (one path, one digest) and three dir/N.bin
    engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]

    assert migrate.downgrade(engine, "0004") == (migrate.head_revision(), "0004")
    with engine.connect() as connection:
        assert "version_files" not in sa.inspect(connection).get_table_names()
    assert migrate.upgrade(engine, "0005")[1] == "0005"
    assert indexed(registry) == written
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM version_files")).scalar_one() == 6
    migrate.upgrade(engine)
    registry.register(with_files("acme/after", {"c": B}))
    assert ("c", B["digest"], 22) in indexed(registry)
