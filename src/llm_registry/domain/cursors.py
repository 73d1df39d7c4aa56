"""Opaque pagination cursors: base64url of a small JSON array of the last item's sort key."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from llm_registry.errors import ValidationError


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


_INT64 = range(-(2**63), 2**63)


def decode_cursor(text: str, *, arity: int, types: tuple[type, ...] | None = None, field: str = "cursor") -> list[Any]:
    """The values of a cursor made by ``encode_cursor``, each of ``types`` when given (ints
    within 64 bits); raises ValidationError (``invalid_cursor``)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ValidationError(f"invalid cursor {text!r}", code="invalid_cursor", field=field) from None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationError(f"invalid cursor {text!r}", code="invalid_cursor", field=field)
    if types is not None:
        for value, expected in zip(values, types, strict=True):
            wrong_type = not isinstance(value, expected) or (expected is int and isinstance(value, bool))
            if wrong_type or (expected is int and value not in _INT64):
                raise ValidationError(f"invalid cursor {text!r}", code="invalid_cursor", field=field)
    return values
