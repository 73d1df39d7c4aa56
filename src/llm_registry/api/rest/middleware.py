"""Pure ASGI middleware: request ids with JSON access logs, and a body size limit.

Order (outermost first): request id + access log + last-resort 500, CORS, gzip, body limit.
Pure ASGI (not BaseHTTPMiddleware) so that nothing is buffered and nothing costs a task.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llm_registry.api.rest.context import request_id_var
from llm_registry.api.rest.errors import PROBLEM_MEDIA_TYPE, problem_body
from llm_registry.api.rest.logs import ACCESS_LOGGER, SERVER_LOGGER, structured_logger
from llm_registry.domain.ids import RequestIds

REQUEST_ID_HEADER = "x-request-id"
# Request state key: raw (lower-case name, value) headers every answer to the request carries,
# such as the rate limit's (added by RequestContextMiddleware: one send wrapper for all).
RESPONSE_HEADERS = "response_headers"
# An incoming request id is kept when it is short and plain (it ends up in logs).
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# Request ids must be unique, not secret: a PRNG seeded once spares a system call per request.
new_request_id = RequestIds()


class RequestContextMiddleware:
    """Gives every request an id (kept from ``X-Request-ID`` when plain, else a new ULID),
    answers it in ``X-Request-ID``, writes one JSON access line, and turns an escaped
    exception into a 500 problem that still carries the id."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self.access = structured_logger(ACCESS_LOGGER)
        self.server = structured_logger(SERVER_LOGGER)
        self._access_logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and _GOOD_REQUEST_ID.fullmatch(incoming) else new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        response: dict[str, Any] = {"status": None, "bytes": 0, "started": False}  # None: no answer (cancelled)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["started"] = True
                response["status"] = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
                extra = state.get(RESPONSE_HEADERS)
                if extra:
                    _add_missing_headers(message, extra)
            elif message["type"] == "http.response.body":
                response["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            self.server.exception("unhandled_error", request_id=request_id, method=scope["method"],
                                  path=scope["path"])
            if response["started"]:
                raise
            body = problem_body(status=500, title="Internal error", code="internal_error", request_id=request_id,
                                detail="an unexpected fault; the request had no effect")
            await send_with_id({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]})
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            if self.access_log and self._access_logger.isEnabledFor(logging.INFO):
                client = scope.get("client")
                self.access.info(
                    "request", request_id=request_id, method=scope["method"], path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1") or None, status=response["status"],
                    bytes=response["bytes"], duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    actor=state.get("actor"), client=client[0] if client else None,
                )
            request_id_var.reset(token)


def _add_missing_headers(message: Message, extra: list[tuple[bytes, bytes]]) -> None:
    """Append ``extra`` raw headers (lower-case names) to a response start, but none its
    handler already set (a 429 carries its own Retry-After)."""
    raw = list(message.get("headers", ()))
    present = {name.lower() for name, _ in raw}
    raw.extend(header for header in extra if header[0] not in present)
    message["headers"] = raw


class _BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"the request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413: at once by Content-Length, or while
    reading a chunked body (the handler's body read raises, and the error maps to 413).
    Paths under ``exempt_prefixes`` (the blob routes) stream their bodies and limit them themselves."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.exempt_prefixes:
            path = scope["path"].removeprefix(scope.get("root_path", ""))
            if path.startswith(self.exempt_prefixes):
                await self.app(scope, receive, send)
                return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            body = problem_body(status=413, title="Content too large", code="payload_too_large",
                                detail=f"the request body is larger than {self.max_bytes} bytes",
                                request_id=scope.get("state", {}).get("request_id"))
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
