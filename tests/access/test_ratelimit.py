"""Both rate limiters pass the same cases; the Redis one against a real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from llm_registry.api.rest.limits import RateLimitHeaders
from llm_registry.domain.access import Actor, Role
from llm_registry.ratelimit.interfaces import RateLimit, RateLimiter
from llm_registry.ratelimit.memory import MemoryRateLimiter
from llm_registry.ratelimit.policy import RateLimitPolicy, RequestThrottle
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
    headers = RateLimitHeaders().named(refused)
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


def test_the_policy_sizes_buckets_by_role_and_falls_back_to_anonymous() -> None:
    policy = RateLimitPolicy.parse("admin=1200, developer=600,anonymous=30", login_per_minute=7)
    assert policy.by_role[Role.ADMIN] == RateLimit(1200, 60.0, "admin")
    assert policy.by_role[Role.VIEWER] is policy.anonymous  # a role left out gets the anonymous size
    assert policy.anonymous == RateLimit(30, 60.0, "anonymous")
    assert policy.login == RateLimit(7, 60.0, "login")
    assert RateLimitPolicy.parse("", login_per_minute=10).anonymous.capacity == 60
    assert len(set(policy.limits())) == 4


def test_the_throttle_charges_users_addresses_and_logins_to_buckets_of_their_own(limiter: RateLimiter) -> None:
    throttle = RequestThrottle(limiter, RateLimitPolicy.parse("viewer=2,anonymous=1", login_per_minute=1))
    viewer, key = Actor("vera", Role.VIEWER), Actor("vera", Role.VIEWER, api_key_id="01J")
    assert [throttle.charge_actor(a).allowed for a in (viewer, key, viewer)] == [True, True, False]
    assert throttle.charge_actor(Actor("other", Role.VIEWER)).allowed  # per user
    assert throttle.charge_address("10.0.0.1").allowed
    assert not throttle.charge_address("10.0.0.1").allowed
    assert throttle.charge_login("10.0.0.1", "vera").allowed  # logins do not share the address's bucket
    assert not throttle.charge_login("10.0.0.1", "vera").allowed
    assert throttle.charge_login("10.0.0.1", "other").allowed
    refused = throttle.charge_actor(viewer)
    assert RateLimitHeaders(throttle.policy.limits()).named(refused)["RateLimit-Policy"] == '"viewer";q=2;w=60'
