"""Database errors as the registry's errors: the stores translate, so that no SQLAlchemy or
driver exception reaches a service, a transport or an embedded caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from llm_registry.errors import ConcurrentWriteError, RegistryError, StorageError, ValidationError

_RETRY = "the database cannot serve the request now; retry"
# PostgreSQL's serialization failure and deadlock: two writers raced, one of them lost.
_RACES = frozenset({"40001", "40P01"})


def registry_error(exc: BaseException) -> RegistryError | None:
    """The RegistryError a database error stands for (None: not a database error).

    A unique or foreign key that another writer took first, or a serialization failure or
    deadlock, is a conflict the caller may retry;
    a value the database refuses (a NUL in PostgreSQL text, a number out of a column's range) is
    the request's fault; anything else (unreachable, locked past the busy timeout) may pass.
    The database's own message stays on the translated error's ``__cause__`` (for logs), out
    of what a caller is told.
    """
    if isinstance(exc, sa.exc.IntegrityError) or getattr(getattr(exc, "orig", None), "sqlstate", None) in _RACES:
        return ConcurrentWriteError("another write changed the same data at the same moment; retry")
    if isinstance(exc, sa.exc.DataError):
        return ValidationError("the database cannot store a value of this request", code="invalid_parameter")
    if isinstance(exc, sa.exc.DBAPIError | sa.exc.OperationalError):
        return StorageError(_RETRY)
    return None


@contextmanager
def database_errors(driver_error: type[Exception]) -> Iterator[None]:
    """Translate SQLAlchemy's errors, and the driver's own (``driver_error``, raised by statements
    run on the driver connection), into RegistryErrors."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        translated = registry_error(exc)
        if translated is None:
            raise
        raise translated from exc
    except driver_error as exc:
        raise StorageError(_RETRY) from exc
