"""Batch registration writes exactly what registering one document at a time writes (search
index included), so that benchmarks/scale.py measures the data a registry really holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from benchmarks.scale import manifests

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings

VERSIONS = 400


def _state(registry: EmbeddedRegistry) -> dict[str, list[str]]:
    """Every row of the tables registration writes, ids replaced by what they name, times blanked."""
    engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:

        def rows(sql: str) -> list[Any]:
            return list(connection.execute(sa.text(sql)))

        assets = {r[0]: f"{r[1]}:{r[2]}/{r[3]}" for r in rows("SELECT id, kind, namespace, name FROM assets")}
        versions = {r[0]: f"{assets[r[1]]}@{r[2]}" for r in rows("SELECT id, asset_id, version FROM versions")}
        docs = {r[0]: versions[r[1]] for r in rows("SELECT doc_id, version_id FROM search_documents")}

        def plain(value: Any) -> Any:
            return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

        state = {
            "versions": [
                (versions[r[0]], *[plain(v) for v in r[1:]])
                for r in rows(
                    "SELECT id, version_key, major, minor, patch, prerelease_key, is_prerelease, status, digest,"
                    " document_digest, spec, content, dependencies, pins, provenance, labels, revision, created_by"
                    " FROM versions"
                )
            ],
            "dependencies": [
                (versions[r[0]], r[1], r[2], r[3], assets[r[4]], versions[r[5]], r[6], r[7])
                for r in rows("SELECT * FROM dependencies")
            ],
            "asset_edges": [(assets[r[0]], assets[r[1]]) for r in rows("SELECT * FROM asset_edges")],
            "label_revisions": [
                (versions[r[0]], r[1], plain(r[2]), r[3])
                for r in rows("SELECT version_id, revision, labels, created_by FROM label_revisions")
            ],
            "events": [
                (r[0], r[1], r[2], r[3], {**plain(r[4])})
                for r in rows("SELECT type, subject, asset, actor, payload FROM events")
            ],
            "search_documents": [
                (versions[r[0]], assets[r[1]], *[plain(v) for v in r[2:]])
                for r in rows(
                    "SELECT version_id, asset_id, kind, namespace, name, version, status, license, description, tags,"
                    " spec, annotations, is_current, tsv FROM search_documents"
                )
            ],
            "search_popularity": [(assets[r[0]], r[1]) for r in rows("SELECT * FROM search_popularity")],
        }
        if registry.store.backend == "sqlite":
            state["search_fts"] = [
                (docs[r[0]], *r[1:]) for r in rows("SELECT rowid, name, tags, description, body, state FROM search_fts")
            ]
    return {table: sorted(repr(row) for row in table_rows) for table, table_rows in state.items()}


def test_batch_registration_writes_what_registration_writes(location: str, tmp_path: Path, backend: str) -> None:
    probes: dict[str, Any] = {}
    corpus = list(manifests(VERSIONS, probes))
    assert len(corpus) == VERSIONS
    with Registry.open(location, settings=Settings(), actor="bench") as bulk:
        assert isinstance(bulk, EmbeddedRegistry)
        assert bulk.register_many(corpus, batch_size=64).created == VERSIONS
        again = bulk.register_many(corpus[::37])  # each one found already registered, identical
        assert (again.unchanged, again.created) == (len(corpus[::37]), 0)
        loaded = _state(bulk)
    if backend == "postgresql":
        served_location = location  # the same database, emptied: one PostgreSQL database per test
        _empty_postgres(location)
    else:
        served_location = str(tmp_path / "served")
    with Registry.open(served_location, settings=Settings(), actor="bench") as served:
        assert isinstance(served, EmbeddedRegistry)
        for manifest in corpus:
            served.register(manifest)
        registered = _state(served)
    assert loaded.keys() == registered.keys()
    for table in loaded:
        assert loaded[table] == registered[table], table


def _empty_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
