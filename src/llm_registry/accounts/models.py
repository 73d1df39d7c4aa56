"""Accounts as the API shows them. Secrets appear only in the answers that create them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel


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


class User(BaseModel):
    username: str
    role: Role
    disabled: bool
    created_at: str
    created_by: str
    updated_at: str


class ApiKey(BaseModel):
    """An API key without its secret: ``prefix`` is the visible part that identifies it."""

    id: str
    name: str
    prefix: str
    owner: str
    role: Role
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class CreatedApiKey(ApiKey):
    """The answer to creating a key: ``key`` is the secret, shown this once."""

    key: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int


class NamespaceGrant(BaseModel):
    namespace: str
    username: str
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated identity: a user through a session, or an API key acting for its owner."""

    username: str
    role: Role
    session_id: str | None = None
    api_key_id: str | None = None

    @property
    def actor(self) -> str:
        """The name recorded in events: the user, or ``user/key:<prefix>`` for a key."""
        return self.username if self.api_key_id is None else f"{self.username}/key:{self.api_key_id}"
