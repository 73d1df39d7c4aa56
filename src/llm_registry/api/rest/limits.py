"""Rate-limit decisions as HTTP: the headers of draft-ietf-httpapi-ratelimit-headers, and 429.

Every charged answer carries ``RateLimit-Policy: "<name>";q=<capacity>;w=<window>`` and
``RateLimit: "<name>";r=<remaining>;t=<seconds until full>``; a refusal adds ``Retry-After``
and is raised as RateLimitedError (429). The headers are attached to the request's state, and
``RequestContextMiddleware`` adds them to whatever answer the request gets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from fastapi import Request

from llm_registry.api.rest.middleware import RESPONSE_HEADERS
from llm_registry.errors import RateLimitedError
from llm_registry.ratelimit.interfaces import Decision, RateLimit

RawHeaders = list[tuple[bytes, bytes]]
_NAMES = {b"ratelimit-policy": "RateLimit-Policy", b"ratelimit": "RateLimit", b"retry-after": "Retry-After"}


def _policy_header(limit: RateLimit) -> bytes:
    return f'"{limit.name}";q={limit.capacity};w={math.ceil(limit.window_seconds)}'.encode("latin-1")


class RateLimitHeaders:
    """Formats decisions as raw ASGI headers (lower-case names, Latin-1 bytes). This runs on
    every request: the ``RateLimit-Policy`` of each limit given is formatted once, here."""

    __slots__ = ("_policies",)

    def __init__(self, limits: Iterable[RateLimit] = ()) -> None:
        # By id (the limit kept beside its header, so that the id cannot be another's): ids
        # cost nothing to hash, where a dataclass hashes its fields on every lookup.
        self._policies = {id(limit): (limit, _policy_header(limit)) for limit in limits}

    def raw(self, decision: Decision) -> RawHeaders:
        limit = decision.limit
        known = self._policies.get(id(limit))
        policy = known[1] if known is not None and known[0] is limit else _policy_header(limit)
        state = f'"{limit.name}";r={decision.remaining};t={math.ceil(decision.reset_after)}'
        raw = [(b"ratelimit-policy", policy), (b"ratelimit", state.encode("latin-1"))]
        if not decision.allowed:
            raw.append((b"retry-after", str(max(1, math.ceil(decision.retry_after))).encode("latin-1")))
        return raw

    def named(self, decision: Decision) -> dict[str, str]:
        """``raw`` by the headers' usual names (``RateLimit-Policy``, ``RateLimit``, ``Retry-After``)."""
        return {_NAMES[name]: value.decode("latin-1") for name, value in self.raw(decision)}

    def apply(self, request: Request, decision: Decision, refusal: str = "too many requests") -> None:
        """Attach the decision's headers to every answer of the request; raises RateLimitedError
        (``refusal``, and when to retry) when the decision refused it."""
        request.scope.setdefault("state", {})[RESPONSE_HEADERS] = self.raw(decision)
        if not decision.allowed:
            raise RateLimitedError(f"{refusal}; retry in {max(1, math.ceil(decision.retry_after))} s",
                                   retry_after=decision.retry_after)


def client_address(request: Request) -> str:
    """The address a request came from, as its anonymous rate-limit bucket names it."""
    return request.client.host if request.client else "unknown"
