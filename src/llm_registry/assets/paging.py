"""Page sizes every list of the asset services accepts."""

from __future__ import annotations

from llm_registry.errors import ValidationError

MAX_PAGE = 1000


def page_limit(limit: int) -> int:
    """``limit`` when it is between 1 and MAX_PAGE; raises ValidationError (field ``limit``)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", code="invalid_parameter", field="limit")
    return limit
