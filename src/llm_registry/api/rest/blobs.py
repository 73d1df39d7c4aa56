"""Blobs over HTTP, in the spirit of the OCI distribution API (§3.4).

``HEAD|GET|PUT /v1/blobs/sha256:{hex}``: whether a blob is stored (and its size), its bytes
(``Range`` answered with 206), and a monolithic upload hashed while it streams (a wrong digest
is refused with 422 ``digest_mismatch``, nothing kept). A resumable upload is a session:
``POST /v1/blobs/uploads`` opens one, each ``PATCH /v1/blobs/uploads/{id}`` adds a chunk at the
offset its ``Content-Range`` (or ``Upload-Offset``) names (409 ``invalid_offset`` with the
expected offset otherwise), ``GET`` says where it stands, ``PUT …?digest=sha256:…`` finishes it
(with an optional last chunk) and ``DELETE`` cancels it. The files of a version, and what the
trust policy says about pulling them, are at ``GET …/versions/{version}/files``.

Bodies stream to the blob store (``streams.consume_body``): memory stays flat whatever the size.
Blob bodies have their own limits (``max_blob_bytes``, ``blob_chunk_bytes``), not ``max_body_bytes``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read, run_service
from llm_registry.api.rest.encoding import OCTETS, RegistryRoute, etag_matches, respond
from llm_registry.api.rest.errors import problem_response
from llm_registry.api.rest.params import KindsPath, NamePath, NamespacePath, VersionPath, version_reference
from llm_registry.api.rest.streams import consume_body, stream_file, too_large
from llm_registry.domain import patterns
from llm_registry.errors import ConflictError, ValidationError
from llm_registry.integrity.interfaces import UploadInfo
from llm_registry.integrity.models import Blob, PullPlan, UploadSession
from llm_registry.services import Services
from llm_registry.settings import Settings

router = APIRouter(route_class=RegistryRoute, tags=["blobs"])

DIGEST_PATTERN = patterns.anchored(patterns.DIGEST)
# ``/v1/blobs/{digest:blob}``: any segment but ``uploads``, whose path is the sessions' own (a
# malformed digest still answers 422 ``invalid_parameter``; ``PUT /v1/blobs/uploads``, 405).
BLOB_PATH = "/v1/blobs/{digest:blob}"
DigestPath = Annotated[str, Path(pattern=DIGEST_PATTERN, description="`sha256:` and 64 hex digits")]
UploadPath = Annotated[str, Path(pattern=r"^[0-9A-Z]{26}$", description="The id of an upload session")]
DigestQuery = Annotated[str, Query(pattern=DIGEST_PATTERN, description="The digest of all the bytes of the session "
                                   "(422 `digest_mismatch` otherwise)")]
_NUMBER = "[0-9]{1,19}"
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
_CONTENT_RANGE = re.compile(r"(?:bytes )?([0-9]+)-([0-9]+)(?:/(?:[0-9]+|\*))?")
_OFFSET = re.compile(r"[0-9]+")


class BlobSegmentConvertor(Convertor[str]):
    regex = "(?!uploads(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("blob", BlobSegmentConvertor())


def _header(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": {"type": "string", "pattern": pattern}}


def _bytes_body(description: str) -> dict[str, Any]:
    return {"requestBody": {"required": False, "description": description,
                            "content": {OCTETS: {"schema": {"type": "string", "format": "binary"}}}}}


_RANGE_HEADER = _header("Range", f"^bytes=(?:{_NUMBER}-(?:{_NUMBER})?|-{_NUMBER})$",
                        "One range of bytes: `bytes=FIRST-[LAST]` or `bytes=-SUFFIX` (206); 416 when it is "
                        "outside the blob")
_CHUNK_HEADERS = [
    _header("Content-Range", f"^(?:bytes )?{_NUMBER}-{_NUMBER}(?:/(?:{_NUMBER}|\\*))?$",
            "Where the chunk goes: `bytes FIRST-LAST/*`, FIRST the session's offset and LAST at least "
            "FIRST (422 otherwise); or give `Upload-Offset`"),
    _header("Upload-Offset", f"^{_NUMBER}$", "Where the chunk goes (the session's offset; 409 `invalid_offset` "
            "otherwise), when no `Content-Range` says it"),
]
_BLOB_HEADERS = {
    "Content-Length": {"description": "The blob's size in bytes", "schema": {"type": "string"}},
    "Accept-Ranges": {"description": "`bytes`: a `Range` is answered", "schema": {"type": "string"}},
    "ETag": {"description": "The blob's digest, quoted: send it in `If-None-Match`", "schema": {"type": "string"}},
}
_SESSION_HEADERS = {
    "Location": {"description": "The path of the session", "schema": {"type": "string"}},
    "Upload-Offset": {"description": "The bytes the session has: the next chunk starts there",
                      "schema": {"type": "string"}},
    "Range": {"description": "The same as `0-LAST` (inclusive), as OCI clients read it", "schema": {"type": "string"}},
}
_BLOB_LOCATION = {"Location": {"description": "The path of the blob", "schema": {"type": "string"}}}
_TOO_LARGE: responses.Responses = {413: responses.problem(
    "The body is larger than the server's `max_blob_bytes` (a blob) or `blob_chunk_bytes` (a chunk) "
    "(`payload_too_large`)")}
BLOB_NOT_FOUND: responses.Responses = {404: responses.problem("No such blob (`blob_not_found`)")}
UPLOAD_NOT_FOUND: responses.Responses = {404: responses.problem(
    "No such upload session of the caller's (`upload_not_found`)")}
OFFSET_CONFLICT: responses.Responses = {409: responses.problem(
    "The chunk does not start where the session stands (`invalid_offset`): the expected offset is in "
    "`details.offset` and `Upload-Offset`", headers=("Upload-Offset",))}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _length(request: Request) -> int | None:
    header = request.headers.get("content-length")
    return int(header) if header is not None and header.isdigit() else None


def _has_body(request: Request) -> bool:
    length = _length(request)
    return length != 0 if length is not None else "transfer-encoding" in request.headers


def _session(request: Request, info: UploadInfo, *, status_code: int = 202) -> Response:
    headers = {"Location": f"/v1/blobs/uploads/{info.id}", "Upload-Offset": str(info.offset),
               # OCI clients read the bytes received as an inclusive range.
               "Range": f"0-{max(info.offset - 1, 0)}"}
    body = UploadSession(id=info.id, offset=info.offset, chunk_max=_settings(request).blob_chunk_bytes)
    return respond(request, body, status_code=status_code, headers=headers)


def _blob(request: Request, blob: Blob, created: bool) -> Response:
    return respond(request, blob, status_code=201 if created else 200, headers={"Location": f"/v1/blobs/{blob.digest}"})


def _not_modified(request: Request, etag: str) -> Response | None:
    """304 when ``If-None-Match`` names the blob's tag (before any ``Range``, as RFC 9110 orders)."""
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return None


@router.head(BLOB_PATH, response_class=Response, name="head_blob", responses={
    200: {"description": "Stored: its size as `Content-Length` (no body)", "headers": _BLOB_HEADERS},
    304: {"description": "Not modified: `If-None-Match` matched the `ETag`"},
    **BLOB_NOT_FOUND})
async def head_blob(
    request: Request, digest: DigestPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Whether the blob is stored: 200 with its size as ``Content-Length``, else 404 (headers only)."""
    info = await run_read(request, services.blobs.get, digest)
    etag = f'"{digest}"'
    return _not_modified(request, etag) or Response(
        status_code=200, headers={"Content-Length": str(info.size), "Accept-Ranges": "bytes", "Content-Type": OCTETS,
                                  "ETag": etag})


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a ``Range: bytes=…`` header, None for the whole blob; raises 416."""
    if header is None:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None or not (found[1] or found[2]):
        raise HTTPException(416, detail=f"unsupported range {header!r}: bytes=FIRST-[LAST] or bytes=-SUFFIX",
                            headers={"Content-Range": f"bytes */{size}"})
    if not found[1]:
        first, last = max(size - int(found[2]), 0), size - 1
    else:
        first = int(found[1])
        last = min(int(found[2]), size - 1) if found[2] else size - 1
    if first >= size or last < first:
        raise HTTPException(416, detail=f"range {header!r} is outside the blob's {size} bytes",
                            headers={"Content-Range": f"bytes */{size}"})
    return first, last


_BINARY = {OCTETS: {"schema": {"type": "string", "format": "binary"}}}


@router.get(BLOB_PATH, response_class=Response, name="get_blob", openapi_extra={"parameters": [_RANGE_HEADER]},
            responses={
    200: {"content": _BINARY, "description": "The blob's bytes", "headers": _BLOB_HEADERS},
    206: {"content": _BINARY, "description": "The bytes of the `Range` asked for", "headers": {
        "Content-Range": {"description": "`bytes FIRST-LAST/SIZE`", "schema": {"type": "string"}}}},
    416: responses.problem("The range is outside the blob, or not one this server answers (`range_not_satisfiable`):"
                           " `Content-Range: bytes */SIZE`"),
    **BLOB_NOT_FOUND})
async def get_blob(
    request: Request, digest: DigestPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """The blob's bytes, streamed; ``Range: bytes=FIRST-[LAST]`` (or ``bytes=-SUFFIX``) answers 206."""
    info = await run_read(request, services.blobs.get, digest)
    not_modified = _not_modified(request, f'"{digest}"')
    if not_modified is not None:
        return not_modified
    wanted = _byte_range(request.headers.get("range"), info.size)
    first, last = wanted if wanted is not None else (0, info.size - 1)
    handle = await run_read(request, services.blobs.open, digest, offset=first)
    length = max(last - first + 1, 0)
    headers = {"Content-Length": str(length), "Accept-Ranges": "bytes", "ETag": f'"{digest}"'}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    return StreamingResponse(stream_file(request, handle, length=length), status_code=206 if wanted else 200,
                             headers=headers, media_type=OCTETS)


@router.put(BLOB_PATH, response_model=Blob, status_code=201, name="put_blob",
            openapi_extra=_bytes_body("The blob's bytes: their sha256 is `digest` (422 `digest_mismatch` otherwise)"),
            responses={200: {"model": Blob, "description": "The blob was stored already", "headers": _BLOB_LOCATION},
                       201: {"description": "Stored", "headers": _BLOB_LOCATION}, **_TOO_LARGE})
async def put_blob(
    request: Request, digest: DigestPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Store the body as the blob ``digest``: 201 (200 when it was stored already); 422
    ``digest_mismatch`` when the bytes have another digest (nothing kept)."""
    limit = _settings(request).max_blob_bytes
    length = _length(request)
    if length is not None and length > limit:
        raise too_large(limit)
    blob, created = await consume_body(
        request, lambda chunks: services.blobs.put(chunks, digest=digest, size=length, actor=context.actor),
        limit=limit,
    )
    return _blob(request, blob, created)


@router.post("/v1/blobs/uploads", response_model=UploadSession, status_code=202, name="start_upload",
             responses={202: {"description": "The session, empty", "headers": _SESSION_HEADERS}})
async def start_upload(
    request: Request, context: RequestContext = Depends(get_context), services: Services = Depends(get_services),
) -> Response:
    """Open a resumable upload session: send its chunks with PATCH, finish it with PUT."""
    info = await run_service(request, services.blobs.start_upload, actor=context.actor)
    return _session(request, info)


@router.get("/v1/blobs/uploads/{upload_id}", response_model=UploadSession, name="get_upload",
            responses={200: {"description": "The session", "headers": _SESSION_HEADERS}, **UPLOAD_NOT_FOUND})
async def get_upload(
    request: Request, upload_id: UploadPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Where the session stands (``offset``, also as ``Upload-Offset``): the next chunk starts there."""
    info = await run_read(request, services.blobs.get_upload, upload_id, actor=context.actor)
    return _session(request, info, status_code=200)


def _chunk_offset(request: Request) -> int | None:
    """Where the chunk of a PATCH or final PUT starts: ``Content-Range`` or ``Upload-Offset``."""
    content_range = request.headers.get("content-range")
    if content_range is not None:
        found = _CONTENT_RANGE.fullmatch(content_range.strip())
        if found is None or int(found[2]) < int(found[1]):
            raise ValidationError(f"malformed Content-Range {content_range!r}: bytes FIRST-LAST/TOTAL or FIRST-LAST",
                                  code="invalid_parameter", field="Content-Range")
        return int(found[1])
    offset = request.headers.get("upload-offset")
    if offset is not None:
        if not _OFFSET.fullmatch(offset.strip()):
            raise ValidationError(f"malformed Upload-Offset {offset!r}", code="invalid_parameter",
                                  field="Upload-Offset")
        return int(offset)
    return None


async def _append(request: Request, services: Services, context: RequestContext, upload_id: str,
                  offset: int) -> UploadInfo:
    limit = _settings(request).blob_chunk_bytes
    length = _length(request)
    if length is not None and length > limit:
        raise too_large(limit)
    try:
        info: UploadInfo = await consume_body(
            request,
            lambda chunks: services.blobs.append_upload(upload_id, chunks, offset=offset, actor=context.actor,
                                                        length=length),
            limit=limit,
        )
    except ConflictError as error:
        if error.code != "invalid_offset":
            raise
        expected = int(error.details["offset"])
        return_headers = {"Upload-Offset": str(expected), "Range": f"0-{max(expected - 1, 0)}"}
        raise _OffsetConflict(error, return_headers) from None
    return info


class _OffsetConflict(Exception):
    def __init__(self, error: ConflictError, headers: dict[str, str]) -> None:
        self.error = error
        self.headers = headers


def _offset_conflict(request: Request, conflict: _OffsetConflict) -> Response:
    error = conflict.error
    return problem_response(request, status=409, title=error.title, detail=error.message, code=error.code,
                            field=error.field, details=error.details, headers=conflict.headers)


@router.patch("/v1/blobs/uploads/{upload_id}", response_model=UploadSession, status_code=202, name="append_upload",
              openapi_extra={"parameters": _CHUNK_HEADERS, **_bytes_body("The chunk's bytes")},
              responses={202: {"description": "The session, the chunk added", "headers": _SESSION_HEADERS},
                         **UPLOAD_NOT_FOUND, **OFFSET_CONFLICT, **_TOO_LARGE})
async def append_upload(
    request: Request, upload_id: UploadPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Add the body at the offset ``Content-Range: bytes FIRST-LAST/*`` (or ``Upload-Offset``)
    names, which must be where the session stands (else 409 ``invalid_offset``, the expected
    offset in ``details.offset`` and ``Upload-Offset``)."""
    offset = _chunk_offset(request)
    if offset is None:
        raise ValidationError("a chunk needs Content-Range (bytes FIRST-LAST/*) or Upload-Offset",
                              code="invalid_parameter", field="Content-Range")
    try:
        info = await _append(request, services, context, upload_id, offset)
    except _OffsetConflict as conflict:
        return _offset_conflict(request, conflict)
    return _session(request, info)


@router.put("/v1/blobs/uploads/{upload_id}", response_model=Blob, status_code=201, name="finish_upload",
            openapi_extra={"parameters": _CHUNK_HEADERS, **_bytes_body("The last chunk, if any")},
            responses={200: {"model": Blob, "description": "The blob was stored already", "headers": _BLOB_LOCATION},
                       201: {"description": "Stored", "headers": _BLOB_LOCATION},
                       **UPLOAD_NOT_FOUND, **OFFSET_CONFLICT, **_TOO_LARGE})
async def finish_upload(
    request: Request, upload_id: UploadPath, digest: DigestQuery, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Finish the session as the blob ``digest`` (a body is its last chunk): 201 (200 when the
    blob was stored already); 422 ``digest_mismatch`` when the bytes have another digest (the
    session and its bytes are gone)."""
    if _has_body(request):
        offset = _chunk_offset(request)
        if offset is None:
            offset = (await run_read(request, services.blobs.get_upload, upload_id, actor=context.actor)).offset
        try:
            await _append(request, services, context, upload_id, offset)
        except _OffsetConflict as conflict:
            return _offset_conflict(request, conflict)
    blob, created = await run_service(request, services.blobs.finish_upload, upload_id, digest=digest,
                                      actor=context.actor)
    return _blob(request, blob, created)


@router.delete("/v1/blobs/uploads/{upload_id}", status_code=204, response_class=Response,
               responses=UPLOAD_NOT_FOUND, name="cancel_upload")
async def cancel_upload(
    request: Request, upload_id: UploadPath, context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Cancel the session: its bytes are dropped."""
    await run_service(request, services.blobs.abort_upload, upload_id, actor=context.actor)
    return Response(status_code=204)


@router.get("/v1/{kinds}/{namespace}/{name}/versions/{version}/files", response_model=PullPlan,
            responses={**responses.READ, 403: responses.problem(
                "The credentials do not allow this (`forbidden`), or the trust policy refuses the pull "
                "(`policy_denied`)")},
            name="get_version_files")
async def get_version_files(
    request: Request, kinds: KindsPath, namespace: NamespacePath, name: NamePath, version: VersionPath,
    context: RequestContext = Depends(get_context), services: Services = Depends(get_services),
) -> Response:
    """The files of the version, to pull, once the trust policy (if any) allows it: 403
    ``policy_denied`` when it refuses; 422 ``no_files`` when the version declares none."""
    ref = version_reference(kinds, namespace, name, version)
    plan = await run_service(request, services.blobs.pull_plan, str(ref), actor=context.actor)
    return respond(request, plan)
