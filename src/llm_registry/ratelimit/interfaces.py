"""The rate-limiter contract: one token bucket per key, checked and charged atomically."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A bucket of ``capacity`` tokens refilled evenly over ``window_seconds`` (so a full window's worth)."""

    capacity: int
    window_seconds: float = 60.0
    name: str = "default"
    # ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers) as a raw header value.
    policy_header: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        policy = f'"{self.name}";q={self.capacity};w={math.ceil(self.window_seconds)}'
        object.__setattr__(self, "policy_header", policy.encode("latin-1"))

    @property
    def refill_per_second(self) -> float:
        return self.capacity / self.window_seconds


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one check: ``retry_after`` (seconds) is 0 when allowed."""

    allowed: bool
    limit: RateLimit
    remaining: int
    retry_after: float
    reset_after: float  # seconds until the bucket is full again

    def headers(self) -> dict[str, str]:
        """``RateLimit`` and ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers), plus
        ``Retry-After`` when refused."""
        return {_HEADER_NAMES[name]: value.decode("latin-1") for name, value in self.raw_headers()}

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """``headers`` as ASGI raw headers (lower-case names, Latin-1 bytes), built on every
        authenticated request: the policy's once per limit."""
        limit = self.limit
        raw = [
            (b"ratelimit-policy", limit.policy_header),
            (b"ratelimit", f'"{limit.name}";r={self.remaining};t={math.ceil(self.reset_after)}'.encode("latin-1")),
        ]
        if not self.allowed:
            raw.append((b"retry-after", str(max(1, math.ceil(self.retry_after))).encode("latin-1")))
        return raw


_HEADER_NAMES = {b"ratelimit-policy": "RateLimit-Policy", b"ratelimit": "RateLimit", b"retry-after": "Retry-After"}


def decide(limit: RateLimit, tokens: float, allowed: bool, cost: int) -> Decision:
    """The decision for a bucket left with ``tokens`` after the check (shared by every backend)."""
    rate = limit.refill_per_second
    retry_after = 0.0 if allowed else (cost - tokens) / rate
    return Decision(
        allowed=allowed,
        limit=limit,
        remaining=max(0, math.floor(tokens)),
        retry_after=retry_after,
        reset_after=max(0.0, (limit.capacity - tokens) / rate),
    )


class RateLimiter(Protocol):
    def check(self, key: str, limit: RateLimit, cost: int = 1) -> Decision:
        """Take ``cost`` tokens from the bucket of ``key`` when it has them; refused otherwise."""
        ...

    def reset(self, key: str) -> None:
        """Forget the bucket of ``key`` (it starts full again)."""
        ...

    def close(self) -> None: ...
