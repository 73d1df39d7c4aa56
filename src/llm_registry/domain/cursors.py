"""Opaque pagination cursors: base64url of a small JSON array of the last item's sort key."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from llm_registry.errors import ValidationError


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(text: str, *, arity: int, field: str = "cursor") -> list[Any]:
    """The values of a cursor made by ``encode_cursor``; raises ValidationError (``invalid_cursor``)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise ValidationError(f"invalid cursor {text!r}", code="invalid_cursor", field=field) from None
    if not isinstance(values, list) or len(values) != arity:
        raise ValidationError(f"invalid cursor {text!r}", code="invalid_cursor", field=field)
    return values
