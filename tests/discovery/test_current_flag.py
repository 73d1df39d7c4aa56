"""The search index marks exactly one current version per asset, through any sequence of
registrations, status changes and deletes, and (SQLite) its text index agrees."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa

from llm_registry.domain.versions import parse_version, sort_key
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ConflictError

VERSIONS = ["0.9.0", "1.0.0", "1.0.1-rc.1", "1.0.1", "1.1.0-beta", "1.2.0", "2.0.0-alpha.1", "2.0.0"]
ASSETS = ["acme/a", "acme/b"]


def _expected_current(statuses: dict[str, str]) -> str | None:
    """What docs/search.md promises: the highest active release, else the highest not yanked."""
    ordered = sorted(statuses, key=lambda v: sort_key(parse_version(v)), reverse=True)
    for version in ordered:
        if statuses[version] == "active" and not parse_version(version).prerelease:
            return version
    return next((v for v in ordered if statuses[v] != "yanked"), None)


def _indexed_current(registry: EmbeddedRegistry) -> dict[str, list[str]]:
    engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT namespace || '/' || name, version FROM search_documents WHERE is_current")
        ).all()
        if engine.dialect.name == "sqlite":
            # The FTS5 state column says "current" for exactly the current documents.
            mismatched = connection.execute(
                sa.text(
                    "SELECT d.doc_id FROM search_documents d JOIN search_fts f ON f.rowid = d.doc_id"
                    " WHERE (f.state = 'current') != (d.is_current = 1)"
                )
            ).all()
            assert mismatched == []
    current: dict[str, list[str]] = {}
    for asset, version in rows:
        current.setdefault(asset, []).append(version)
    return current


def _change(registry: EmbeddedRegistry, action: str, ref: str) -> Any:
    if action == "yank":
        return registry.yank(ref, reason="bad")
    if action == "deprecate":
        return registry.deprecate(ref, message="old")
    if action == "restore":
        return registry.restore(ref)
    return registry.delete(ref)


@pytest.mark.parametrize("seed", range(6))
def test_one_current_version_per_asset_through_any_history(registry: EmbeddedRegistry, seed: int) -> None:
    rng = random.Random(seed)
    statuses: dict[str, dict[str, str]] = {asset: {} for asset in ASSETS}
    for _ in range(40):
        asset = rng.choice(ASSETS)
        known = statuses[asset]
        action = rng.choice(["register", "register", "yank", "deprecate", "restore", "delete"])
        if action == "register" or not known:
            version = rng.choice([v for v in VERSIONS if v not in known] or VERSIONS)
            if version in known:
                continue
            registry.register({"kind": "model", "name": asset, "version": version, "spec": {"card": f"model {asset}"}})
            known[version] = "active"
        else:
            version = rng.choice(sorted(known))
            try:
                _change(registry, action, f"model:{asset}@{version}")
            except ConflictError as error:  # a move its status does not allow (yanked -> deprecated)
                if error.code != "invalid_status_change":
                    raise
                continue
            if action == "delete":
                del known[version]
            else:
                known[version] = {"yank": "yanked", "deprecate": "deprecated", "restore": "active"}[action]
        expected = {a: [v] for a, s in statuses.items() if (v := _expected_current(s)) is not None}
        assert _indexed_current(registry) == expected, (action, asset, version)
