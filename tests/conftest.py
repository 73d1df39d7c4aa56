"""Shared fixtures: real SQLite and real PostgreSQL, never mocks of our storage.

PostgreSQL tests run whenever a server answers at LLM_REGISTRY_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test). With LLM_REGISTRY_REQUIRE_SERVICES=1 an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings

ADMIN_URL = os.environ.get("LLM_REGISTRY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("LLM_REGISTRY_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


def require_postgres() -> None:
    """Skip (or fail, when services are required) unless PostgreSQL answers."""
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL unreachable at {ADMIN_URL}: {problem}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[str]:
    """A fresh database for this test process (one per xdist worker), dropped at the end."""
    require_postgres()
    name = f"llmr_test_{worker_id}_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = str(sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The test database, emptied of every table (the next open creates the schema)."""
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_database


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty registry location on the backend under test."""
    return variant_location(backend, request, tmp_path)


@pytest.fixture
def embedded_registry(location: str) -> Iterator[EmbeddedRegistry]:
    """An embedded registry on an empty database of each backend."""
    opened = Registry.open(location, settings=Settings(), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened


@pytest.fixture
def registry(embedded_registry: EmbeddedRegistry) -> EmbeddedRegistry:
    """An embedded registry on an empty database of each backend (the foundation suite widens this
    to remote registries too, and keeps ``embedded_registry`` for tests that reach into the store)."""
    return embedded_registry


REGISTRY_VARIANTS = [*BACKENDS, "remote"]


@contextmanager
def open_remote(location: str) -> Iterator[tuple[Registry, EmbeddedRegistry]]:
    """(the Python API over HTTP against the real REST app in this process, an embedded registry
    on the same database): changes go through HTTP as the actor ``tester``, like the embedded
    fixtures'; the embedded twin lets checks read the stored rows."""
    from fastapi import Request

    from llm_registry.api.rest.app import create_app
    from llm_registry.api.rest.inprocess import InProcessTransport
    from llm_registry.domain.access import Actor
    from llm_registry.remote import RemoteRegistry

    async def as_tester(request: Request) -> Actor:
        return Actor("tester")

    app = create_app(Settings.load({"url": location, "access_log": False}, environ={}), authenticator=as_tester)
    try:
        twin = Registry.open(location, settings=Settings(), actor="tester")
        assert isinstance(twin, EmbeddedRegistry)
        with twin, RemoteRegistry("http://registry.test", settings=Settings.load(environ={}),
                                  transport=InProcessTransport(app)) as remote:
            yield remote, twin
    finally:
        app.state.store.close()


@pytest.fixture
def remote_registry(tmp_path: Path) -> Iterator[Registry]:
    """The Python API over HTTP (RemoteRegistry) against the real REST app in this process, on a
    new SQLite registry."""
    with open_remote(str(tmp_path / "registry")) as (remote, _):
        yield remote


def variant_location(variant: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """Where a registry of ``variant`` (a backend, or ``remote``: a server on SQLite) keeps its data."""
    if variant == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(folder / "registry")
