"""The rate-limiter contract: one token bucket per key, checked and charged atomically."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A bucket of ``capacity`` tokens refilled evenly over ``window_seconds`` (so a full window's
    worth); ``name`` says which kind of bucket it is (a role, ``anonymous``, ``login``)."""

    capacity: int
    window_seconds: float = 60.0
    name: str = "default"

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
