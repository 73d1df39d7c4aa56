"""Pages: every list the registry answers is a page of items and the cursor of the next one."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: its items and the cursor of the next page (None at the end)."""

    items: list[T]
    next_cursor: str | None = None
