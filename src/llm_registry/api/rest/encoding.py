"""Content negotiation, ETags, and the route class every REST route uses.

Responses are JSON unless the client prefers MessagePack (``Accept: application/msgpack``);
request bodies may be either. Reads carry a weak ETag and answer 304 to a matching
``If-None-Match``. ``RegistryRoute`` refuses unknown query parameters and bodies of other
content types before the handler runs, and turns a MessagePack body into the JSON that
FastAPI validates, so that both encodings meet exactly the same rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from types import UnionType
from typing import Any, Union, get_args, get_origin

import msgpack
import orjson
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

JSON = "application/json"
MSGPACK = "application/msgpack"
OCTETS = "application/octet-stream"  # blob bytes, never negotiated
MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def prefers_msgpack(accept: str | None) -> bool:
    """Whether an Accept header ranks MessagePack above JSON (JSON wins ties and absences)."""
    if not accept or "msgpack" not in accept:
        return False
    best_msgpack = 0.0
    best_json = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media in MSGPACK_TYPES:
            best_msgpack = max(best_msgpack, quality)
        elif media == JSON:
            best_json = max(best_json, quality)
    return best_msgpack > best_json


def encode(content: BaseModel | Mapping[str, Any] | Sequence[Any], *, msgpack_wanted: bool) -> tuple[bytes, str]:
    """(body, media type) of a model or plain data in the chosen encoding."""
    if msgpack_wanted:
        data = content.model_dump(mode="json") if isinstance(content, BaseModel) else content
        return msgpack.packb(data, use_bin_type=True), MSGPACK
    if isinstance(content, BaseModel):
        return content.model_dump_json().encode(), JSON
    return orjson.dumps(content), JSON


def etag_of(body: bytes) -> str:
    # Weak: gzip may change the bytes on the wire, the representation stays the same.
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


def respond(
    request: Request, content: BaseModel | Mapping[str, Any] | Sequence[Any], *, status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The response for ``content``, negotiated; a GET answer carries an ETag (304 when it matches)."""
    body, media_type = encode(content, msgpack_wanted=prefers_msgpack(request.headers.get("accept")))
    out = {"Vary": "Accept"}
    if headers:
        out.update(headers)
    if request.method in ("GET", "HEAD") and status_code == 200:
        etag = etag_of(body)
        out["ETag"] = etag
        out["Cache-Control"] = "no-cache"
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=out)
    return Response(body, status_code=status_code, headers=out, media_type=media_type)


def _query_names(dependant: Dependant) -> dict[str, bool]:
    """Each query parameter's name, and whether it may repeat (a list)."""
    names = {field.alias: _is_sequence(field.field_info.annotation) for field in dependant.query_params}
    for sub in dependant.dependencies:
        names.update(_query_names(sub))
    return names


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return get_origin(annotation) in (list, tuple, set, frozenset, Sequence)


class _ParsedRequest(Request):
    """A request whose body was parsed here (orjson), handed on as JSON bytes and value."""

    def __init__(self, scope: Scope, request: Request, body: bytes, value: Any) -> None:
        super().__init__(scope, request.receive)
        self._parsed_body = body
        self._parsed_value = value

    async def body(self) -> bytes:
        return self._parsed_body

    async def json(self) -> Any:
        return self._parsed_value


def _invalid_body(message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", 0), "msg": message, "input": {}, "ctx": {"error": message}}]
    )


async def _checked_body(request: Request) -> Request:
    """The request with its body parsed: JSON, or MessagePack turned into the equivalent JSON.

    Raises 415 for other content types, and a validation error (422) for a body that does
    not parse, including bytes that are not UTF-8 and integers beyond 64 bits (which the
    store could not keep).
    """
    body = await request.body()
    if not body:
        return request
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media == JSON or (media.startswith("application/") and media.endswith("+json")):
        try:
            return _ParsedRequest(request.scope, request, body, orjson.loads(body))
        except orjson.JSONDecodeError as exc:
            raise _invalid_body(f"JSON decode error: {exc}") from None
    if media not in MSGPACK_TYPES:
        raise HTTPException(
            415, detail=f"unsupported content type {media or '(none)'}: send application/json or application/msgpack"
        )
    try:
        value = msgpack.unpackb(body, raw=False)
        as_json = orjson.dumps(value)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise _invalid_body(f"MessagePack decode error: {exc}") from None
    headers = [(k, v) for k, v in request.scope["headers"] if k not in (b"content-type", b"content-length")]
    headers += [(b"content-type", JSON.encode()), (b"content-length", str(len(as_json)).encode())]
    return _ParsedRequest({**request.scope, "headers": headers}, request, as_json, orjson.loads(as_json))


class RegistryRoute(APIRoute):
    """An APIRoute that refuses unknown query parameters and decodes MessagePack bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        repeatable = _query_names(self.dependant)
        has_body = self.body_field is not None

        async def route_handler(request: Request) -> Response:
            for key in request.query_params:
                if key not in repeatable:
                    expected = ", ".join(sorted(repeatable)) or "none"
                    raise RequestValidationError([{
                        "type": "extra_forbidden", "loc": ("query", key), "input": request.query_params[key],
                        "msg": f"unknown query parameter (this route takes: {expected})",
                    }])
                if not repeatable[key] and len(request.query_params.getlist(key)) > 1:
                    raise RequestValidationError([{
                        "type": "value_error", "loc": ("query", key), "input": request.query_params.getlist(key),
                        "msg": "given more than once",
                    }])
            if has_body and request.method in _BODY_METHODS:
                request = await _checked_body(request)
            return await handler(request)

        return route_handler
