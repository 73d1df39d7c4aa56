"""Rate limiter checks per second: ``MemoryRateLimiter`` against ``RedisRateLimiter`` (real Redis).

    python benchmarks/ratelimit.py [--redis redis://127.0.0.1:6379/15] [--seconds 2] [--threads 8]

One thread measures the latency-bound rate; several threads show what concurrent request
handlers get (Redis round trips overlap, the memory limiter's lock serialises). The last line
is what every authenticated request of the REST API pays on top of its check: the policy's
bucket for the actor and the ``RateLimit`` headers of the decision (ns per request).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

import redis

from llm_registry.api.rest.limits import RateLimitHeaders
from llm_registry.domain.access import Actor, Role
from llm_registry.ratelimit.interfaces import Decision, RateLimit, RateLimiter
from llm_registry.ratelimit.memory import MemoryRateLimiter
from llm_registry.ratelimit.policy import RateLimitPolicy, RequestThrottle
from llm_registry.ratelimit.redis import RedisRateLimiter

LIMIT = RateLimit(capacity=1_000_000_000, window_seconds=60)


def measure(limiter: RateLimiter, *, seconds: float, threads: int, keys: int = 1000) -> float:
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def run(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            limiter.check(f"user:{n % keys}", LIMIT)
            n += 1
        counts[index] = n

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - started)


class _Answer:
    """The limiter's side taken out: a fixed decision, to time the policy and the headers alone."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def check(self, key: str, limit: RateLimit, cost: int = 1) -> Decision:
        return self.decision

    def reset(self, key: str) -> None: ...

    def close(self) -> None: ...


def request_overhead_ns(*, seconds: float) -> float:
    """ns per request for the actor's bucket and the decision's raw headers (no limiter work)."""
    policy = RateLimitPolicy.parse("admin=1200,developer=600,user=300,viewer=300,anonymous=60", login_per_minute=10)
    decision = Decision(allowed=True, limit=policy.by_role[Role.DEVELOPER], remaining=450, retry_after=0.0,
                        reset_after=15.3)
    throttle = RequestThrottle(_Answer(decision), policy)
    headers = RateLimitHeaders(policy.limits())
    actor = Actor("bench-dev", Role.DEVELOPER)
    n = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            headers.raw(throttle.charge_actor(actor))
        n += 1000
    return (time.perf_counter() - started) / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    prefix = f"llmr-bench:{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(args.redis, max_connections=64)
    limiters: dict[str, RateLimiter] = {"memory": MemoryRateLimiter(), "redis": RedisRateLimiter(client, prefix=prefix)}
    try:
        for name, limiter in limiters.items():
            single = measure(limiter, seconds=args.seconds, threads=1)
            many = measure(limiter, seconds=args.seconds, threads=args.threads)
            print(f"{name:7s} checks/s: {single:>10,.0f} (1 thread)  {many:>10,.0f} ({args.threads} threads)")
        print(f"policy + headers per request: {request_overhead_ns(seconds=args.seconds):,.0f} ns")
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


if __name__ == "__main__":
    main()
