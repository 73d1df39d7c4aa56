"""Token buckets in this process's memory: exact for one server instance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from llm_registry.ratelimit.interfaces import Decision, RateLimit, decide

# Above this many buckets, full ones are dropped (a full bucket equals no bucket).
MAX_BUCKETS = 100_000


class MemoryRateLimiter:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_buckets: int = MAX_BUCKETS) -> None:
        self._clock = clock
        self._max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float, float]] = {}  # key -> (tokens, at, capacity)
        self._lock = threading.Lock()

    def check(self, key: str, limit: RateLimit, cost: int = 1) -> Decision:
        with self._lock:
            now = self._clock()
            tokens, at, _ = self._buckets.get(key, (float(limit.capacity), now, limit.capacity))
            tokens = min(float(limit.capacity), tokens + max(0.0, now - at) * limit.refill_per_second)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
            self._buckets[key] = (tokens, now, limit.capacity)
            if len(self._buckets) > self._max_buckets:
                self._evict(now)
        return decide(limit, tokens, allowed, cost)

    def _evict(self, now: float) -> None:
        # Buckets idle long enough to be full again carry no information. Windows are not
        # stored per bucket, so "idle for an hour" stands for "full again".
        stale = [k for k, (_, at, _) in self._buckets.items() if now - at > 3600]
        for key in stale:
            del self._buckets[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._buckets.clear()
