"""Content digests (``sha256:<hex>``) and the canonical JSON they are computed over."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from llm_registry.domain.patterns import DIGEST, DIGEST_PREFIX, MIN_PREFIX_HEX

__all__ = ["MIN_PREFIX_HEX", "canonical_json", "digest_of", "is_digest", "is_digest_prefix", "validate_digest"]
from llm_registry.errors import ValidationError

_DIGEST = re.compile(DIGEST)
_DIGEST_PREFIX = re.compile(DIGEST_PREFIX)


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest_of(value: Any) -> str:
    """``sha256:`` digest of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def is_digest(value: str) -> bool:
    return bool(_DIGEST.fullmatch(value))


def is_digest_prefix(value: str) -> bool:
    """``sha256:`` and 12 to 63 hex digits: the start of a digest."""
    return bool(_DIGEST_PREFIX.fullmatch(value))


def validate_digest(value: object, field: str = "digest") -> str:
    """The digest itself; raises ValidationError (``invalid_digest``) unless it is ``sha256:`` + 64 hex."""
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ValidationError(
            f"invalid digest {value!r}: expected 'sha256:' followed by 64 lowercase hex digits",
            code="invalid_digest",
            field=field,
        )
    return value
