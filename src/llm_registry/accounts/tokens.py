"""JWT access tokens (HS256) signed with a key ring that rotates.

The first key signs; every key of the ring verifies, so a token signed before a rotation
stays valid until it expires as long as its key stays listed. Only HS256 is accepted:
``alg: none`` and algorithm confusion are refused by construction.

Times (``iat``, ``nbf``, ``exp``) are those of the signer's clock, the one clock the account
service is given: PyJWT's own checks against the system time are turned off and made here.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

from llm_registry.domain.times import Clock, system_clock
from llm_registry.errors import UnauthenticatedError, ValidationError

ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32
_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "iss", "aud", "sid"]
# Times are checked against the signer's clock (below), not PyJWT's ``time.time()``.
_DECODE_OPTIONS: Options = {"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False, "verify_iat": False}
_EXPIRED = "the access token has expired; refresh it or log in again"
_INVALID = "the access token is not valid"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    secret: bytes


def signing_key(secret: str) -> SigningKey:
    """A key whose id is derived from the secret (so every instance names it alike)."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(
            f"a JWT signing secret has at least {MIN_SECRET_LENGTH} characters",
            code="invalid_parameter",
            field="jwt_secret",
        )
    return SigningKey(kid=hashlib.sha256(secret.encode()).hexdigest()[:16], secret=secret.encode())


def random_secret() -> str:
    return secrets.token_urlsafe(48)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    username: str
    session_id: str
    role: str
    expires_at: int


_VERIFIED_CACHE_SIZE = 4096


class TokenSigner:
    """Issues and verifies access tokens for one issuer and audience."""

    def __init__(
        self, keys: list[SigningKey], *, issuer: str, audience: str, ttl_seconds: int, clock: Clock = system_clock
    ) -> None:
        if not keys:
            raise ValueError("a token signer needs at least one key")
        self.keys = {key.kid: key for key in keys}
        self.current = keys[0]
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        # Tokens whose signature and claims were already checked: a client sends the same
        # token on every request, and decoding one costs ~90 µs. Only the signature check is
        # skipped on a hit; expiry is checked again here and revocation by the caller.
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self._verified_lock = threading.Lock()

    def issue(self, *, username: str, role: str, session_id: str) -> str:
        """A token valid from now (the clock's) for ``ttl_seconds``."""
        issued = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "role": role,
            "sid": session_id,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.ttl_seconds,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self.current.secret, algorithm=ALGORITHM, headers={"kid": self.current.kid})

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token valid now (by the clock); raises UnauthenticatedError for anything else."""
        with self._verified_lock:
            known = self._verified.get(token)
        if known is not None:
            if known.expires_at <= self.clock():
                raise UnauthenticatedError(_EXPIRED)
            return known
        claims = self._decode(token)
        with self._verified_lock:
            self._verified[token] = claims
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.get(str(header.get("kid", "")))
            if key is None or header.get("alg") != ALGORITHM:
                raise UnauthenticatedError(_INVALID)
            claims = jwt.decode(
                token, key.secret, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
                options=_DECODE_OPTIONS,
            )
            expires, not_before, issued = int(claims["exp"]), int(claims["nbf"]), int(claims["iat"])
        except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
            raise UnauthenticatedError(_INVALID) from None
        now = self.clock()
        if expires <= now:
            raise UnauthenticatedError(_EXPIRED)
        if not_before > now or issued > now:
            raise UnauthenticatedError(_INVALID)
        return AccessClaims(
            username=str(claims["sub"]),
            session_id=str(claims["sid"]),
            role=str(claims.get("role", "")),
            expires_at=expires,
        )
