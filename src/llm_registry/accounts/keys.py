"""Opaque secrets: API keys (``llmr_<prefix>_<secret>``) and refresh tokens (``llmr_rt_<id>_<secret>``).

Only the SHA-256 of the random part is stored; the prefix (or id) finds the row, and a
constant-time comparison of digests checks the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

API_KEY_MARK = "llmr_"
REFRESH_MARK = "llmr_rt_"
_PREFIX_BYTES = 4  # 8 hex digits
_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Secret:
    """A newly made secret: ``text`` is given to the user once, ``digest`` is stored."""

    lookup: str
    text: str
    digest: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored, digest(secret))


def new_api_key() -> Secret:
    """A key; ``lookup`` is its visible prefix (``llmr_`` and 8 hex digits)."""
    prefix = API_KEY_MARK + secrets.token_hex(_PREFIX_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return Secret(lookup=prefix, text=f"{prefix}_{secret}", digest=digest(secret))


def split_api_key(text: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key's text; None when it is not shaped like a key."""
    if not text.startswith(API_KEY_MARK) or text.startswith(REFRESH_MARK):
        return None
    size = len(API_KEY_MARK) + 2 * _PREFIX_BYTES
    prefix, sep, secret = text[:size], text[size : size + 1], text[size + 1 :]
    if sep != "_" or not secret:
        return None
    return prefix, secret


def is_api_key(text: str) -> bool:
    return split_api_key(text) is not None


def new_refresh_token(token_id: str) -> Secret:
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return Secret(lookup=token_id, text=f"{REFRESH_MARK}{token_id}_{secret}", digest=digest(secret))


def split_refresh_token(text: str) -> tuple[str, str] | None:
    """(token id, secret) of a refresh token's text; None when it is not shaped like one."""
    if not text.startswith(REFRESH_MARK):
        return None
    token_id, sep, secret = text.removeprefix(REFRESH_MARK).partition("_")
    if not sep or len(token_id) != 26 or not secret:
        return None
    return token_id, secret
