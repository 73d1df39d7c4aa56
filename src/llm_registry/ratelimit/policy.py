"""The rate-limit policy of a server: which bucket a request is charged to, and its size.

* A user, through a session or any of its API keys, is charged to ``user:<name>``, sized by
  its role (``rate_limits``: requests per minute by role name).
* A request without credentials, or whose credentials failed, is charged to ``ip:<address>``,
  sized ``anonymous``: guessing credentials costs the guesser's address.
* A login attempt is charged to ``login:<address>:<username>`` (``login_rate_limit``), so that
  password guessing is slowed down however it is spread.

A role missing from ``rate_limits`` gets the ``anonymous`` size (60 a minute when that is
missing too). Transports ask ``RequestThrottle`` and present its ``Decision`` their own way
(the REST API as ``RateLimit`` headers and 429).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from llm_registry.domain.access import Actor, Role
from llm_registry.ratelimit.interfaces import Decision, RateLimit, RateLimiter

ANONYMOUS = "anonymous"
WINDOW_SECONDS = 60.0


def parse_rate_limits(text: str) -> dict[str, RateLimit]:
    """``admin=1200,…,anonymous=60`` (requests per minute) as limits by name."""
    limits: dict[str, RateLimit] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition("=")
        limits[name.strip()] = RateLimit(capacity=int(count), window_seconds=WINDOW_SECONDS, name=name.strip())
    return limits


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """The size of each kind of bucket."""

    by_role: Mapping[Role, RateLimit]
    anonymous: RateLimit
    login: RateLimit

    @classmethod
    def parse(cls, rate_limits: str, *, login_per_minute: int) -> RateLimitPolicy:
        """The policy of the ``rate_limits`` and ``login_rate_limit`` settings."""
        limits = parse_rate_limits(rate_limits)
        anonymous = limits.get(ANONYMOUS) or RateLimit(60)
        return cls(
            by_role={role: limits.get(role.value) or anonymous for role in Role},
            anonymous=anonymous,
            login=RateLimit(capacity=login_per_minute, window_seconds=WINDOW_SECONDS, name="login"),
        )

    def limits(self) -> tuple[RateLimit, ...]:
        """Every limit the policy applies."""
        return (*self.by_role.values(), self.anonymous, self.login)


class RequestThrottle:
    """Charges requests to their buckets in a limiter, by the policy; each charge answers the
    limiter's ``Decision`` (``allowed`` False: refused, nothing taken)."""

    __slots__ = ("_by_role", "limiter", "policy")

    def __init__(self, limiter: RateLimiter, policy: RateLimitPolicy) -> None:
        self.limiter = limiter
        self.policy = policy
        # A plain dict of the roles' limits: this runs on every authenticated request.
        self._by_role = dict(policy.by_role)

    def charge_actor(self, actor: Actor) -> Decision:
        """A request by an authenticated user (or one of its keys)."""
        return self.limiter.check("user:" + actor.username, self._by_role[actor.role])

    def charge_address(self, address: str) -> Decision:
        """A request without credentials, or whose credentials failed."""
        return self.limiter.check("ip:" + address, self.policy.anonymous)

    def charge_login(self, address: str, username: str) -> Decision:
        """A login attempt for ``username`` from ``address``."""
        return self.limiter.check(f"login:{address}:{username}", self.policy.login)

    def close(self) -> None:
        self.limiter.close()
