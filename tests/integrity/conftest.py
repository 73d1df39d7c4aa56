"""Fixtures of the integrity suite: every blob store backend (a local folder, S3 over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_registry.domain.ids import new_id
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.integrity.interfaces import BlobStore
from llm_registry.integrity.store_local import LocalBlobStore
from llm_registry.integrity.store_s3 import S3BlobStore
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from tests.integrity.s3 import S3Endpoint, s3_endpoint

BLOB_BACKENDS = ["local", "s3"]


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A real S3 endpoint (moto's server in a process of its own unless one is configured)."""
    with s3_endpoint(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


def s3_store(endpoint: S3Endpoint, prefix: str | None = None) -> S3BlobStore:
    """A store in a prefix of the test bucket no other test uses."""
    return S3BlobStore(endpoint.bucket, endpoint=endpoint.url, prefix=prefix or f"test-{new_id().lower()}",
                       **endpoint.credentials)


def s3_settings(endpoint: S3Endpoint) -> dict[str, str]:
    """The settings of a registry whose blobs go to a fresh prefix of the test bucket."""
    values = {"blob_store": "s3", "s3_endpoint": endpoint.url, "s3_bucket": endpoint.bucket,
              "s3_prefix": f"test-{new_id().lower()}"}
    for name, value in endpoint.credentials.items():
        values[{"region": "s3_region"}.get(name, f"s3_{name}")] = value
    return values


@pytest.fixture(params=BLOB_BACKENDS)
def blob_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def blob_store(blob_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BlobStore]:
    """An empty blob store of each backend."""
    store: BlobStore = (
        s3_store(request.getfixturevalue("s3")) if blob_backend == "s3" else LocalBlobStore(tmp_path / "blobs")
    )
    yield store
    store.close()


def blob_settings(backend: str, blob_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings of a registry on ``backend`` whose blobs go to ``blob_backend``."""
    values: dict[str, object] = {}
    if blob_backend == "s3":
        values.update(s3_settings(request.getfixturevalue("s3")))
    elif backend == "postgresql":
        values["blob_root"] = str(tmp_path / "blobs")
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def blob_registry(backend: str, location: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[
        EmbeddedRegistry]:
    """An embedded registry of each database backend, its blobs in a local folder."""
    opened = Registry.open(location, settings=blob_settings(backend, "local", tmp_path, request), actor="tester")
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The digest cache of pushes in the test's folder, never the user's."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder
