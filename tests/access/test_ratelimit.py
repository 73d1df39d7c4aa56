"""Both rate limiters pass the same cases; the Redis one against a real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from llm_registry.ratelimit.interfaces import RateLimit, RateLimiter
from llm_registry.ratelimit.memory import MemoryRateLimiter
from llm_registry.ratelimit.redis import RedisRateLimiter
from tests.access.conftest import REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    client: redis.Redis = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    yield RedisRateLimiter(client, prefix=prefix)


def test_a_full_bucket_allows_its_capacity_then_refuses(limiter: RateLimiter) -> None:
    limit = RateLimit(capacity=5, window_seconds=60)
    decisions = [limiter.check("alice", limit) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]
    refused = decisions[-1]
    assert 11 <= refused.retry_after <= 12.5  # one token comes every 12 s
    headers = refused.headers()
    assert headers["RateLimit-Policy"] == '"default";q=5;w=60'
    assert headers["RateLimit"].startswith('"default";r=0;t=')
    assert headers["Retry-After"] == "12"
    assert limiter.check("bob", limit).allowed  # buckets are per key


def test_tokens_refill_over_time(limiter: RateLimiter) -> None:
    limit = RateLimit(capacity=4, window_seconds=0.4)  # 10 tokens per second
    for _ in range(4):
        assert limiter.check("k", limit).allowed
    assert not limiter.check("k", limit).allowed
    time.sleep(0.25)
    assert limiter.check("k", limit).allowed
    assert limiter.check("k", limit).remaining <= 1


def test_cost_and_reset(limiter: RateLimiter) -> None:
    limit = RateLimit(capacity=10, window_seconds=60)
    assert limiter.check("k", limit, cost=7).remaining == 3
    assert not limiter.check("k", limit, cost=4).allowed
    assert limiter.check("k", limit, cost=3).allowed  # a refused check took nothing
    limiter.reset("k")
    assert limiter.check("k", limit).remaining == 9


def test_concurrent_checks_never_overspend(limiter: RateLimiter) -> None:
    limit = RateLimit(capacity=50, window_seconds=3600)
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(20):
            result = limiter.check("shared", limit).allowed
            with lock:
                allowed.append(result)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 50


def test_two_redis_limiters_share_buckets(redis_client: redis.Redis, redis_prefix: str) -> None:
    """Two server instances (two clients) draw from one bucket."""
    limit = RateLimit(capacity=3, window_seconds=60)
    other_client = redis.Redis.from_url(REDIS_URL)
    first = RedisRateLimiter(redis_client, prefix=redis_prefix)
    second = RedisRateLimiter(other_client, prefix=redis_prefix)
    checks = [first.check("k", limit), second.check("k", limit), first.check("k", limit)]
    assert all(d.allowed for d in checks)
    assert not second.check("k", limit).allowed
    assert redis_client.pttl(f"{redis_prefix}k") > 0  # buckets expire once full again
    other_client.close()
