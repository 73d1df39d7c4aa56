"""benchmarks/registration_sql.py replays the statements of registrations with sqlite3 alone; its
figures mean something only if the replay writes exactly what the registry wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from benchmarks.embedded import fine_tunes, register_bases
from benchmarks.registration_sql import COMMIT, Step, contents, recording, replay

from llm_registry import Registry, Settings
from llm_registry.assets.store_sqlite import SqliteAssetStore
from llm_registry.errors import ConflictError

VERSIONS = 25


def _record(tmp_path: Path) -> tuple[Path, Path, list[Step]]:
    """A seeded registry, a copy of it with VERSIONS registrations, and their recorded statements."""
    seeded, registered = tmp_path / "seeded", tmp_path / "registered"
    with Registry.open(str(seeded), settings=Settings(), actor="bench") as registry:
        register_bases(registry)
    shutil.copytree(seeded, registered)
    log: list[Step] = []
    with Registry.open(str(registered), settings=Settings(), actor="bench") as registry:
        assert isinstance(registry.store, SqliteAssetStore)
        with recording(registry.store, log):
            for manifest in fine_tunes(VERSIONS):
                registry.register(manifest)
    return seeded, registered, log


def _replayed(seeded: Path, folder: Path, log: list[Step]) -> dict[str, str]:
    shutil.copytree(seeded, folder)
    elapsed, committing = replay(folder / "registry.db", log)
    assert 0 < committing < elapsed
    return contents(folder / "registry.db")


def test_the_replay_writes_what_the_registry_wrote(tmp_path: Path) -> None:
    seeded, registered, log = _record(tmp_path)
    assert log.count(COMMIT) == VERSIONS  # one transaction per registration
    assert any(step is not COMMIT and step[1].startswith("INSERT INTO search_fts") for step in log)
    expected = contents(registered / "registry.db")
    assert {"versions", "events", "search_documents", "search_fts_data"} <= set(expected)
    assert _replayed(seeded, tmp_path / "replayed", log) == expected


def test_a_transaction_rolled_back_is_not_recorded(tmp_path: Path) -> None:
    with Registry.open(str(tmp_path), settings=Settings(), actor="bench") as registry:
        assert isinstance(registry.store, SqliteAssetStore)
        log: list[Step] = []
        with recording(registry.store, log):
            registry.register({"kind": "model", "name": "acme/m", "version": "1.0.0", "spec": {"n": 1}})
            recorded = list(log)
            # Same version, other spec: refused inside the transaction, after its first read.
            with pytest.raises(ConflictError):
                registry.register({"kind": "model", "name": "acme/m", "version": "1.0.0", "spec": {"n": 2}})
    assert log == recorded
    assert log[-1] is COMMIT


def test_a_replay_missing_statements_is_told_apart(tmp_path: Path) -> None:
    seeded, registered, log = _record(tmp_path)
    # Leave out the last registration's search statements: the search tables then differ.
    last = max(i for i, step in enumerate(log[:-1]) if step is COMMIT)
    partial = log[: last + 1] + [step for step in log[last + 1 :] if step is COMMIT or "search_" not in step[1]]
    got = _replayed(seeded, tmp_path / "replayed", partial)
    expected = contents(registered / "registry.db")
    assert got["search_documents"] != expected["search_documents"]
    assert got["search_fts_content"] != expected["search_fts_content"]
    assert got["versions"] == expected["versions"]
    assert got["events"] == expected["events"]
