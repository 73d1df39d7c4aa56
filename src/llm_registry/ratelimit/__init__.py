"""Token-bucket rate limiting: ``MemoryRateLimiter`` (one process) and ``RedisRateLimiter`` (shared),
and the policy of which request is charged to which bucket (``policy``)."""

from llm_registry.ratelimit.interfaces import Decision, RateLimit, RateLimiter
from llm_registry.ratelimit.policy import RateLimitPolicy, RequestThrottle

__all__ = ["Decision", "RateLimit", "RateLimitPolicy", "RateLimiter", "RequestThrottle"]
