"""Fixtures and helpers of the foundation suite (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest
import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import RegistryError
from llm_registry.events.models import Event
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from llm_registry.storage.tables import metadata
from tests.conftest import REGISTRY_VARIANTS, open_remote, variant_location

# The core tables; database_state reads every modelled table (search, accounts … too).
TABLES = ("assets", "versions", "dependencies", "asset_edges", "aliases", "label_revisions", "events")


# A remote registry under test -> the embedded registry on its database (see ``inspector``).
_TWINS: dict[int, EmbeddedRegistry] = {}


def inspector(registry: Registry) -> EmbeddedRegistry:
    """The embedded registry on the database of ``registry`` (itself when embedded): where checks
    of the stored rows and the event cursor read, whichever transport the test drives."""
    return registry if isinstance(registry, EmbeddedRegistry) else _TWINS[id(registry)]


@contextmanager
def variant_registry(variant: str, location: str) -> Iterator[Registry]:
    """A registry of ``variant``: embedded on SQLite or PostgreSQL, or remote (the REST app in
    process, on SQLite), with its inspector registered."""
    if variant != "remote":
        with Registry.open(location, settings=Settings(), actor="tester") as opened:
            yield opened
        return
    with open_remote(location) as (remote, twin):
        _TWINS[id(remote)] = twin
        try:
            yield remote
        finally:
            del _TWINS[id(remote)]


@pytest.fixture(params=REGISTRY_VARIANTS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """The foundation's behaviour tests run on each backend embedded and over HTTP (remote)."""
    with variant_registry(request.param, variant_location(request.param, request, tmp_path)) as opened:
        yield opened


def database_state(registry: Registry) -> dict[str, list[str]]:
    """Every row of every registry table as text: two equal states mean nothing was written in between."""
    engine: sa.Engine = inspector(registry).store.engine  # type: ignore[attr-defined]
    state: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(sa.select(table)).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state


def model(name: str = "acme/base", version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    """A small model manifest."""
    return {"kind": "model", "name": name, "version": version, "spec": {"architecture": "llama"}, **extra}


def depends(ref: str, relation: str = "uses") -> dict[str, str]:
    return {"ref": ref, "relation": relation}


class Refuse(Protocol):
    def __call__(
        self, action: Callable[[], object], error: type[RegistryError], code: str, field: str | None
    ) -> RegistryError: ...


SHARED_SCHEMA = "foundation_shared"


def make_refuse(registry: EmbeddedRegistry) -> Refuse:
    """``refuse(action, ErrorClass, code, field)``: the action raises exactly that error, and
    afterwards every table holds the same rows and the event feed the same events."""

    def check(action: Callable[[], object], error: type[RegistryError], code: str, field: str | None) -> RegistryError:
        last_event = str(inspector(registry).store.last_event_cursor())
        state_before = database_state(registry)
        with pytest.raises(error) as info:
            action()
        assert (info.value.code, info.value.field) == (code, field), info.value
        assert registry.events(after=last_event).items == []
        assert database_state(registry) == state_before
        return info.value

    return check


@pytest.fixture
def refuse(registry: EmbeddedRegistry) -> Refuse:
    return make_refuse(registry)


@pytest.fixture(scope="module", params=REGISTRY_VARIANTS)
def module_registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        Registry]:
    """A registry on an empty database of each backend, and one over HTTP, shared by the tests of
    one module: for tests that only read, or that write under names of their own."""
    if request.param == "remote":
        with variant_registry("remote", str(tmp_path_factory.mktemp("shared") / "registry")) as remote:
            yield remote
        return
    if request.param == "postgresql":
        # A schema of its own in the session's database (the per-test fixtures reset `public`);
        # commits not waiting for the WAL flush keep thousands of registrations quick.
        database = str(request.getfixturevalue("postgres_database"))
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SHARED_SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {SHARED_SCHEMA}")
        options = f"-csearch_path={SHARED_SCHEMA} -csynchronous_commit=off"
        location = str(sa.make_url(database).update_query_dict({"options": options}).render_as_string(
            hide_password=False))
    else:
        location = str(tmp_path_factory.mktemp("shared") / "registry")
    opened = Registry.open(location, settings=Settings(), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened


@dataclass
class Scope:
    """A test's own namespace in a shared registry, and the feed from where the test began."""

    registry: EmbeddedRegistry
    namespace: str
    start: str

    def name(self, short: str = "base") -> str:
        return f"{self.namespace}/{short}"

    def asset(self, short: str = "base", kind: str = "model") -> str:
        return f"{kind}:{self.namespace}/{short}"

    def ref(self, version: str = "1.0.0", short: str = "base", kind: str = "model") -> str:
        return f"{self.asset(short, kind)}@{version}"

    def events(self, **filters: Any) -> list[Event]:
        """The events written since the test began."""
        return self.registry.events(after=self.start, limit=1000, **filters).items


@pytest.fixture
def scope(module_registry: EmbeddedRegistry, request: pytest.FixtureRequest) -> Scope:
    namespace = "t-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    return Scope(module_registry, namespace, str(inspector(module_registry).store.last_event_cursor()))
