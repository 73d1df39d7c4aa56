"""Timestamps as the registry stores and shows them: fixed-width ISO-8601 UTC text."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from llm_registry.errors import ValidationError

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

Clock = Callable[[], float]
"""The one clock every service is given: POSIX seconds (``time.time``, or a test's own)."""
system_clock: Clock = time.time


def format_time(moment: datetime) -> str:
    """``2026-01-02T03:04:05.000006Z``; text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime(_FORMAT)


def format_epoch(seconds: float) -> str:
    """``format_time`` of a POSIX time, in a third of the time (it runs on every authenticated
    request): ``isoformat`` of a UTC datetime ends ``+00:00`` where the stored form has ``Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def epoch_of(stored: str) -> float:
    """A stored time (``…Z``) as POSIX seconds: the inverse of ``format_epoch``."""
    return datetime.fromisoformat(stored.replace("Z", "+00:00")).timestamp()


def utc_now() -> str:
    return format_epoch(time.time())


def parse_time(value: object, field: str = "time") -> str:
    """An ISO-8601 time (with offset or ``Z``; a bare date means its midnight UTC) in stored form."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return format_time(moment)
    if not isinstance(value, str):
        raise ValidationError(f"invalid time {value!r}", code="invalid_parameter", field=field)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValidationError(
            f"invalid time {value!r}: expected ISO-8601 such as 2026-01-02T03:04:05Z",
            code="invalid_parameter",
            field=field,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return format_time(moment)
    except OverflowError:
        # Within a day of year 1 or 9999 with an offset that takes it past them in UTC: before
        # (or after) every time the registry holds, as the edge of the range is.
        edge = datetime.min if moment.year == 1 else datetime.max
        return format_time(edge.replace(tzinfo=UTC))
