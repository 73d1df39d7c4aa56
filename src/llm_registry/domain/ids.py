"""Identifiers: ULIDs (48 bits of milliseconds since the epoch, then 80 random bits, written in
Crockford's base32), which sort by creation time as text."""

from __future__ import annotations

import os
import random
import time

_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 digits per 10 bits: 13 lookups write a ULID (``base64.b32encode`` is pure Python).
_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]


def encode(millis: int, randomness: int) -> str:
    """The ULID of a time in milliseconds (48 bits) and 80 random bits."""
    p = _PAIRS
    r = randomness
    return (
        p[millis >> 40] + p[(millis >> 30) & 1023] + p[(millis >> 20) & 1023] + p[(millis >> 10) & 1023]
        + p[millis & 1023] + p[r >> 70] + p[(r >> 60) & 1023] + p[(r >> 50) & 1023] + p[(r >> 40) & 1023]
        + p[(r >> 30) & 1023] + p[(r >> 20) & 1023] + p[(r >> 10) & 1023] + p[r & 1023]
    )


def new_id() -> str:
    """A ULID with random bits from the operating system: the ids of stored rows."""
    return encode(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10)))


class RequestIds:
    """ULIDs from a seeded PRNG, for request ids: cheaper than the operating system's random
    source (no system call) where the id only has to be unique in the logs, not unguessable."""

    def __init__(self) -> None:
        self._random = random.Random()

    def __call__(self) -> str:
        return encode(time.time_ns() // 1_000_000, self._random.getrandbits(80))
