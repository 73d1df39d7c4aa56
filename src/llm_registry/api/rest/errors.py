"""Errors as RFC 9457 problem+json, mapped once for the whole REST API.

Every ``RegistryError`` keeps its stable ``code``, its ``field`` and the HTTP status of its
class. FastAPI's request validation becomes 422 with the code of what was wrong (a path
or query parameter, or the body); HTTP-level refusals (unknown route, wrong method, body
too large, wrong content type) keep their status with a code of their own.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Route

from llm_registry.api.rest.context import request_id_of
from llm_registry.api.rest.logs import SERVER_LOGGER, structured_logger
from llm_registry.assets.documents import field_path
from llm_registry.errors import ApprovalRequiredError, RateLimitedError, RegistryError, StorageError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:llm-registry:problem:"

# Codes of refusals made by HTTP itself, before any service runs (documented in docs/api.md).
HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Bad request"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("payload_too_large", "Content too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    416: ("range_not_satisfiable", "Range not satisfiable"),
}

# The code a parameter's validation error gets, by parameter name (else invalid_parameter).
PARAMETER_CODES = {
    "kinds": "invalid_kind",
    "kind": "invalid_kind",
    "namespace": "invalid_name",
    "name": "invalid_name",
    "version": "invalid_version",
    "alias": "invalid_alias",
    "cursor": "invalid_cursor",
    "after": "invalid_cursor",
    "ref": "invalid_reference",
}
# Errors in these top-level fields of a version document get the domain's own codes.
MANIFEST_FIELD_CODES = {"kind": "invalid_kind", "name": "invalid_name", "version": "invalid_version"}
# Routes whose body is a version document (its errors are invalid_manifest, not invalid_parameter).
MANIFEST_ROUTES = frozenset({"register_version"})

_log = structured_logger(SERVER_LOGGER)


class Problem(BaseModel):
    """An RFC 9457 problem; ``code`` is stable and ``field`` names the input to blame."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None
    details: dict[str, Any] | None = None


def problem_response(
    request: Request, *, status: int, title: str, detail: str, code: str, field: str | None = None,
    details: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(status=status, title=title, detail=detail, code=code, field=field, details=details,
                     request_id=request_id_of(request)),
        status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_body(
    *, status: int, title: str, detail: str, code: str, field: str | None = None,
    details: dict[str, Any] | None = None, request_id: str | None = None,
) -> bytes:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code, "title": title, "status": status, "detail": detail, "code": code,
        "field": field, "instance": request_id or None,
    }
    if details:
        body["details"] = details
    return orjson.dumps(body)


def _registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    headers = None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
    elif isinstance(exc, StorageError):
        headers = {"Retry-After": "1"}  # a fault of the database may pass: clients retry
    elif isinstance(exc, ApprovalRequiredError) and exc.details.get("approval_id"):
        headers = {"Location": f"/v1/approvals/{exc.details['approval_id']}"}
    if exc.http_status >= 500:
        # The database's own message (kept as the cause by the store) goes to the log only.
        cause = exc.__cause__
        _log.error("registry_error", code=exc.code, message=exc.message,
                   cause=str(cause).splitlines()[0] if cause is not None and str(cause) else None)
    return problem_response(request, status=exc.http_status, title=exc.title, detail=exc.message, code=exc.code,
                            field=exc.field, details=exc.details or None, headers=headers)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": "value_error"}
    location = tuple(first.get("loc", ()))
    source = str(location[0]) if location else ""
    field: str | None = field_path(location[1:]) if len(location) > 1 else None
    message = str(first.get("msg", "invalid"))
    route_name = getattr(request.scope.get("route"), "name", "")
    if source == "body":
        if first.get("type") == "json_invalid":
            field = None
            context = first.get("ctx")
            reason = context.get("error", message) if isinstance(context, dict) else message
            message = f"the body does not parse: {reason}"
        if route_name in MANIFEST_ROUTES:
            if first.get("type") == "extra_forbidden":
                code = "unknown_field"
                message = f"unknown field {field!r}"
            elif len(location) == 2 and str(location[1]) in MANIFEST_FIELD_CODES:
                code = MANIFEST_FIELD_CODES[str(location[1])]
            else:
                code = "invalid_manifest"
        else:
            code = "invalid_parameter"
        detail = f"{field}: {message}" if field else message
    else:
        code = PARAMETER_CODES.get(field or "", "invalid_parameter")
        label = {"path": "path parameter", "query": "query parameter", "header": "header"}.get(source, source)
        detail = f"{label} {field}: {message}" if field else message
    return problem_response(request, status=422, title="Invalid input", detail=detail, code=code, field=field)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.url.path} takes {', '.join(allowed)}, not {request.method}"
    return problem_response(request, status=exc.status_code, title=title, detail=detail, code=code,
                            headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path has, over all the routes that match it (Starlette names
    only those of the first route it tried)."""
    scope = {**request.scope, "method": ""}
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] is not Match.NONE:
            methods.update(route.methods)
    return sorted(methods, key=_METHOD_ORDER.index)


_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


def install_error_handlers(app: FastAPI) -> None:
    """Map every error once: RegistryError (the stores translate database faults into it),
    request validation, HTTP refusals."""
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
