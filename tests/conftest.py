"""Shared fixtures: real SQLite and real PostgreSQL, never mocks of our storage.

PostgreSQL tests run whenever a server answers at LLM_REGISTRY_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test). With LLM_REGISTRY_REQUIRE_SERVICES=1 an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from llm_registry.registry import EmbeddedRegistry, Registry
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
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "registry")


@pytest.fixture
def registry(location: str) -> Iterator[EmbeddedRegistry]:
    """An embedded registry on an empty database of each backend."""
    opened = Registry.open(location, settings=Settings(), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened


REGISTRY_VARIANTS = [*BACKENDS, "remote"]


@pytest.fixture
def remote_registry(tmp_path: Path) -> Iterator[Registry]:
    """The Python API over HTTP (RemoteRegistry) against the real REST app in this process, on a
    new SQLite registry; changes are made as the actor ``tester`` like the embedded fixture's."""
    from fastapi import Request

    from llm_registry.api.rest.app import create_app
    from llm_registry.api.rest.context import Actor
    from llm_registry.api.rest.inprocess import InProcessTransport
    from llm_registry.remote import RemoteRegistry

    async def as_tester(request: Request) -> Actor:
        return Actor("tester")

    app = create_app(Settings.load({"url": str(tmp_path / "registry"), "access_log": False}, environ={}),
                     authenticator=as_tester)
    transport = InProcessTransport(app)
    with RemoteRegistry("http://registry.test", settings=Settings.load(environ={}), transport=transport) as remote:
        yield remote
    app.state.store.close()


@pytest.fixture(params=REGISTRY_VARIANTS)
def any_registry(request: pytest.FixtureRequest) -> Iterator[Registry]:
    """The same behaviour tests over embedded SQLite, embedded PostgreSQL and remote (HTTP) registries.

    Only the public ``Registry`` API is available here (no ``.store``)."""
    if request.param == "remote":
        yield request.getfixturevalue("remote_registry")
        return
    location = str(request.getfixturevalue("postgres_url")) if request.param == "postgresql" else str(
        request.getfixturevalue("tmp_path") / "registry")
    with Registry.open(location, settings=Settings(), actor="tester") as opened:
        yield opened
