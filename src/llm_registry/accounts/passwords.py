"""Password hashing with argon2id (parameters of argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from llm_registry.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that a miss costs as much as a hit and
    the answer time does not tell which usernames exist. Made on first use, not at import: a
    hash costs tens of milliseconds that a process which never checks a password need not pay."""
    return _HASHER.hash("not a password of anyone")


def check_strength(password: str, field: str = "password") -> None:
    """Raises ValidationError for a password too short or too long."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationError(
            f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", code="invalid_parameter", field=field
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a None hash (unknown user) costs the same and is False."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
