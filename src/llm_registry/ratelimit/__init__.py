"""Token-bucket rate limiting: ``MemoryRateLimiter`` (one process) and ``RedisRateLimiter`` (shared)."""

from llm_registry.ratelimit.interfaces import Decision, RateLimit, RateLimiter

__all__ = ["Decision", "RateLimit", "RateLimiter"]
