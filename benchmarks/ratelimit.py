"""Rate limiter checks per second: ``MemoryRateLimiter`` against ``RedisRateLimiter`` (real Redis).

    python benchmarks/ratelimit.py [--redis redis://127.0.0.1:6379/15] [--seconds 2] [--threads 8]

One thread measures the latency-bound rate; several threads show what concurrent request
handlers get (Redis round trips overlap, the memory limiter's lock serialises).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

import redis

from llm_registry.ratelimit.interfaces import RateLimit, RateLimiter
from llm_registry.ratelimit.memory import MemoryRateLimiter
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
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


if __name__ == "__main__":
    main()
