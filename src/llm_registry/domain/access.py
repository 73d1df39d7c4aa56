"""Who acts, and the contract every service asks before it changes anything.

``Actor`` is the identity a change is recorded under and whose permissions decide whether it
may happen: a user through a login session, an API key acting for its owner, or the owner of
an embedded registry's process (an admin). Services take an ``Actor``; transports build one
(the REST API from the request's credentials, the embedded registry from the OS user).

``Authorizer`` is what a service asks about one resource (a namespace, a version someone
created). The accounts domain implements it; an embedded registry has none, so its process
owner may do everything, as DESIGN §2.7 says.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """Roles, each including the one below: admin ⊃ developer ⊃ user ⊃ viewer."""

    ADMIN = "admin"
    DEVELOPER = "developer"
    USER = "user"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: Role) -> bool:
        """True when this role has every permission of ``other``."""
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 0, Role.USER: 1, Role.DEVELOPER: 2, Role.ADMIN: 3}


@dataclass(frozen=True, slots=True)
class Actor:
    """An identity: ``username`` with ``role``, through a session or an API key (or neither,
    for the owner of an embedded registry)."""

    username: str
    role: Role = Role.ADMIN
    session_id: str | None = None
    api_key_id: str | None = None

    @property
    def name(self) -> str:
        """The name recorded as ``created_by`` and an event's ``actor``: the user, or
        ``user/key:<id>`` for an API key."""
        return self.username if self.api_key_id is None else f"{self.username}/key:{self.api_key_id}"


class Authorizer(Protocol):
    """The permission checks a service makes about one resource; each raises ForbiddenError."""

    def allows(self, actor: Actor, permission: str) -> bool:
        """Whether ``actor`` holds ``permission`` at all (outright or on what it created)."""
        ...

    def require(self, actor: Actor, permission: str) -> None:
        """Raises ForbiddenError unless ``actor`` holds ``permission`` at all."""
        ...

    def require_on(self, actor: Actor, permission: str, *, namespace: str, owner: str | None = None) -> None:
        """``actor`` may use ``permission`` on a resource of ``namespace`` created by ``owner``
        (None: a resource about to be created): its role holds it (on its own resources when
        the role holds it only so), and a namespace granted to others is closed to it."""
        ...


__all__ = ["Actor", "Authorizer", "Role"]
