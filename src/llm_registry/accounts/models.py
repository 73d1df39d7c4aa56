"""Accounts as the API shows them. Secrets appear only in the answers that create them."""

from __future__ import annotations

from pydantic import BaseModel

from llm_registry.domain.access import Role

__all__ = ["ApiKey", "CreatedApiKey", "NamespaceGrant", "TokenPair", "User"]


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
