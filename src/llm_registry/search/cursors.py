"""The keyset of each search sort, and the page cursors that carry it.

A page ends on a hit; the next page starts strictly after that hit's key, in the sort's order.
Each sort's key is named here once, by the fields of a hit: the SQL index orders and seeks by
the same fields (``sort_keys`` in ``sql_queries``) that a cursor records, so the two cannot
drift apart. The last field is always ``doc_id``, which makes every key unique, so a page deep
in a cursor neither repeats nor skips a hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.errors import ValidationError
from llm_registry.search.interfaces import HitRow
from llm_registry.search.models import Sort


@dataclass(frozen=True, slots=True)
class Keyset:
    """The fields of ``HitRow`` a sort orders by, in order, and whether it runs descending."""

    fields: tuple[str, ...]
    descending: bool


KEYSETS: dict[Sort, Keyset] = {
    Sort.RELEVANCE: Keyset(("score", "doc_id"), descending=True),
    Sort.CREATED: Keyset(("created_at", "doc_id"), descending=True),
    Sort.UPDATED: Keyset(("updated_at", "doc_id"), descending=True),
    Sort.POPULARITY: Keyset(("popularity", "doc_id"), descending=True),
    Sort.NAME: Keyset(("name", "namespace", "kind", "doc_id"), descending=False),
}


def cursor_arity(sort: Sort) -> int:
    """How many values the key of ``sort`` has."""
    return len(KEYSETS[sort].fields)


def cursor_key(sort: Sort, hit: HitRow) -> list[Any]:
    """The key of ``hit`` under ``sort``."""
    return [getattr(hit, field) for field in KEYSETS[sort].fields]


def encode_after(sort: Sort, hit: HitRow) -> str:
    """The cursor of the page that follows ``hit`` (it names its sort)."""
    return encode_cursor([sort.value, *cursor_key(sort, hit)])


def decode_after(cursor: str, sort: Sort) -> tuple[object, ...]:
    """The key a cursor of ``sort`` continues after; raises ValidationError (``invalid_cursor``)
    for a cursor that is not one, or that another sort made."""
    values = decode_cursor(cursor, arity=cursor_arity(sort) + 1)
    if values[0] != sort.value:
        raise ValidationError("the cursor belongs to another sort", code="invalid_cursor", field="cursor")
    key = values[1:]
    valid = isinstance(key[-1], int) and not isinstance(key[-1], bool)
    if sort is Sort.RELEVANCE:
        valid = valid and isinstance(key[0], int | float) and not isinstance(key[0], bool)
    elif sort is Sort.POPULARITY:
        valid = valid and isinstance(key[0], int) and not isinstance(key[0], bool)
    else:
        valid = valid and all(isinstance(k, str) for k in key[:-1])
    if not valid:
        raise ValidationError(f"invalid cursor {cursor!r}", code="invalid_cursor", field="cursor")
    return tuple(key)
