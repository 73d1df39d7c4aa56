"""Problem answers (RFC 9457, ``application/problem+json``) as the registry's errors: the one
mapping the remote client and the CLI's server commands share."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from llm_registry.errors import (
    ERROR_CODES,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RegistryError,
    StorageError,
    UnauthenticatedError,
    ValidationError,
    error_class_for_code,
)

_CLASS_BY_STATUS: dict[int, type[RegistryError]] = {
    401: UnauthenticatedError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError, 429: RateLimitedError,
    503: StorageError,
}


def error_from_response(response: httpx.Response) -> RegistryError:
    """The RegistryError a refusal stands for: by the problem's ``code`` when it has a known one,
    else by the HTTP status (the server's code, if any, kept in ``details``)."""
    try:
        problem = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        problem = None
    status = response.status_code
    if not isinstance(problem, dict) or not isinstance(problem.get("code"), str):
        text = response.text[:200].strip() or response.reason_phrase
        return _build(_class_by_status(status), f"HTTP {status} from the registry: {text}", None, None, {}, response)
    code = problem["code"]
    message = str(problem.get("detail") or problem.get("title") or code)
    field = problem.get("field") if isinstance(problem.get("field"), str) else None
    raw_details = problem.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    if code in ERROR_CODES:
        return _build(error_class_for_code(code), message, code, field, details, response)
    # A code this client does not know (an HTTP-level refusal such as unsupported_media_type,
    # or a newer server's): the class by status, and the server's code kept in details.
    return _build(_class_by_status(status), message, None, field, {**details, "code": code}, response)


def _class_by_status(status: int) -> type[RegistryError]:
    return _CLASS_BY_STATUS.get(status, ValidationError if status < 500 else RegistryError)


def _build(cls: type[RegistryError], message: str, code: str | None, field: str | None, details: dict[str, Any],
           response: httpx.Response) -> RegistryError:
    if issubclass(cls, RateLimitedError):
        retry_after = details.get("retry_after", response.headers.get("retry-after", 1))
        try:
            seconds = float(retry_after)
        except (TypeError, ValueError):
            seconds = 1.0
        return cls(message, retry_after=seconds, code=code)
    return cls(message, code=code, field=field, details=details or None)


__all__ = ["error_from_response"]
