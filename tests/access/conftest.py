"""Fixtures of the access suite: real stores on SQLite and PostgreSQL, a real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from llm_registry import bootstrap
from llm_registry.accounts.services import AccountService
from llm_registry.assets.interfaces import AssetStore
from llm_registry.settings import Settings

REDIS_URL = os.environ.get("LLM_REGISTRY_TEST_REDIS", "redis://127.0.0.1:6379/15")
SECRET = "s" * 40
ACCESS_SETTINGS = Settings(jwt_secret=SECRET, access_token_ttl=300)


@pytest.fixture
def asset_store(location: str) -> Iterator[AssetStore]:
    store = bootstrap.open_store(location, ACCESS_SETTINGS)
    yield store
    store.close()


@pytest.fixture
def accounts(asset_store: AssetStore) -> AccountService:
    return bootstrap.build_account_service(asset_store, ACCESS_SETTINGS)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("LLM_REGISTRY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test only; its keys are deleted afterwards."""
    prefix = f"llmr-test:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(f"{prefix}*"):
        redis_client.delete(key)
