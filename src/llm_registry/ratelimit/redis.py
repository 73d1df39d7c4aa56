"""Token buckets in Redis, shared by every server instance.

One Lua script reads, refills, charges and writes a bucket atomically, on the Redis
server's clock (``TIME``), so instances with skewed clocks still agree. Buckets expire
once they would be full again.
"""

from __future__ import annotations

from typing import Any

import redis

from llm_registry.errors import StorageError
from llm_registry.ratelimit.interfaces import Decision, RateLimit, decide

KEY_PREFIX = "llm-registry:ratelimit:"

TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, string.format('%.6f', tokens)}
"""


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, *, prefix: str = KEY_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(TOKEN_BUCKET)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = KEY_PREFIX) -> RedisRateLimiter:
        return cls(redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), prefix=prefix)

    def check(self, key: str, limit: RateLimit, cost: int = 1) -> Decision:
        try:
            result: Any = self._script(keys=[self._prefix + key], args=[limit.capacity, limit.refill_per_second, cost])
        except redis.RedisError as exc:
            raise StorageError(f"the rate limiter's Redis is unavailable: {type(exc).__name__}") from None
        allowed, tokens = int(result[0]), float(result[1])
        return decide(limit, tokens, bool(allowed), cost)

    def reset(self, key: str) -> None:
        self._client.delete(self._prefix + key)

    def close(self) -> None:
        self._client.close()
