"""Content digests (``sha256:<hex>``) and the canonical JSON they are computed over."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from llm_registry.errors import ValidationError

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest_of(value: Any) -> str:
    """``sha256:`` digest of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def is_digest(value: str) -> bool:
    return bool(_DIGEST.fullmatch(value))


def validate_digest(value: object, field: str = "digest") -> str:
    """The digest itself; raises ValidationError (``invalid_digest``) unless it is ``sha256:`` + 64 hex."""
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ValidationError(
            f"invalid digest {value!r}: expected 'sha256:' followed by 64 lowercase hex digits",
            code="invalid_digest",
            field=field,
        )
    return value
