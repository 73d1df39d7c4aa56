"""Blobs over HTTP for the remote registry's push and pull: HEAD to skip what the server has, a
streamed PUT for a file up to a chunk, a resumable upload session in chunks for a larger one (a
chunk that fails is sent again from where the server says the session stands), and ranged GETs.

The bytes of a GET over the network are read with the standard library's ``http.client``, not
httpx: httpx reads a response 64 KiB at a time through h11, in Python, and measured 240 MB/s on
a blob that ``http.client`` reads at 760 MB/s from the same server (docs/integrity.md). Every
other request (and every one through a transport given to the client) goes through httpx.
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson

from llm_registry.connection import ServerConnection
from llm_registry.errors import RegistryError, StorageError
from llm_registry.integrity.hashing import CHUNK
from llm_registry.integrity.transfer import file_chunks
from llm_registry.problems import error_from_response

OCTETS = {"Content-Type": "application/octet-stream"}
ATTEMPTS = 5  # tries of one chunk before a push gives up


class HttpBlobTransport:
    """A BlobTransport over the REST blob routes of one server."""

    def __init__(self, connection: ServerConnection, *, chunk_bytes: int) -> None:
        self.connection = connection
        self.chunk_bytes = chunk_bytes

    def has(self, digest: str) -> bool:
        response = self.connection.stream("HEAD", f"/v1/blobs/{digest}", allowed=(404,))
        response.close()
        return response.status_code == 200

    def upload(self, path: Path, *, digest: str, size: int, sent: Callable[[int], None]) -> None:
        if size <= self.chunk_bytes:
            self._put(path, digest=digest, size=size, sent=sent)
        else:
            self._chunked(path, digest=digest, size=size, sent=sent)

    def _put(self, path: Path, *, digest: str, size: int, sent: Callable[[int], None]) -> None:
        headers = {**OCTETS, "Content-Length": str(size)}
        response = self.connection.stream("PUT", f"/v1/blobs/{digest}", content=file_chunks(path, sent=sent),
                                          headers=headers)
        response.close()

    def _session(self, method: str, path: str, **options: object) -> dict[str, object]:
        response = self.connection.stream(method, path, **options)  # type: ignore[arg-type]
        try:
            body: dict[str, object] = orjson.loads(response.read())
        finally:
            response.close()
        return body

    def _chunked(self, path: Path, *, digest: str, size: int, sent: Callable[[int], None]) -> None:
        session = self._session("POST", "/v1/blobs/uploads")
        upload = f"/v1/blobs/uploads/{session['id']}"
        chunk = min(self.chunk_bytes, int(str(session.get("chunk_max") or self.chunk_bytes)))
        offset, failures = 0, 0
        while offset < size:
            length = min(chunk, size - offset)
            headers = {**OCTETS, "Content-Length": str(length),
                       "Content-Range": f"bytes {offset}-{offset + length - 1}/{size}"}
            moved = 0

            def count(n: int) -> None:
                nonlocal moved
                moved += n

            try:
                after = self._session("PATCH", upload, headers=headers,
                                      content=file_chunks(path, sent=count, offset=offset, limit=length))
                offset = int(str(after["offset"]))
                sent(moved)
                failures = 0
            except (StorageError, httpx.HTTPError, RegistryError) as error:
                # The chunk did not go (or not whole): ask where the session stands and go on from there.
                failures += 1
                if failures >= ATTEMPTS or not _retryable(error):
                    raise
                time.sleep(min(0.2 * 2**failures, 5))
                offset = int(str(self._session("GET", upload)["offset"]))
        response = self.connection.stream("PUT", upload, params={"digest": digest})
        response.close()

    @contextmanager
    def download(self, digest: str, *, offset: int) -> Iterator[Iterable[bytes]]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        if self.connection.direct:
            with self._direct_get(f"/v1/blobs/{digest}", headers, ranged=bool(offset)) as chunks:
                yield chunks
            return
        response = self.connection.stream("GET", f"/v1/blobs/{digest}", headers=headers)
        try:
            if offset and response.status_code != 206:
                raise StorageError(f"the server answered {response.status_code} to a range of {digest}",
                                   code="blob_store_unavailable")
            yield response.iter_raw(CHUNK)
        finally:
            response.close()


    @contextmanager
    def _direct_get(self, path: str, headers: dict[str, str], *, ranged: bool) -> Iterator[Iterable[bytes]]:
        url = urlsplit(self.connection.location)
        timeout = self.connection.settings.request_timeout
        connection: http.client.HTTPConnection
        if url.scheme == "https":
            connection = http.client.HTTPSConnection(url.hostname or "", url.port, timeout=timeout,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)
        try:
            try:
                connection.request("GET", url.path.rstrip("/") + path, headers={**self.connection.headers(), **headers})
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise StorageError(f"cannot reach the registry at {self.connection.location}: {exc}",
                                   code="storage_unavailable") from None
            if response.status >= 400:
                raise error_from_response(httpx.Response(response.status, headers=response.getheaders(),
                                                         content=response.read()))
            if ranged and response.status != 206:
                raise StorageError(f"the server answered {response.status} to a range of {path}",
                                   code="blob_store_unavailable")
            yield _read(response)
        finally:
            connection.close()


def _read(response: http.client.HTTPResponse) -> Iterator[bytes]:
    try:
        while data := response.read(CHUNK):
            yield data
    except (OSError, http.client.HTTPException) as exc:
        raise StorageError(f"the download was cut short: {exc}", code="storage_unavailable") from None


def _retryable(error: Exception) -> bool:
    """Faults of the way (the network, a server restarting), not refusals of the request."""
    if isinstance(error, httpx.HTTPError):
        return True
    return isinstance(error, StorageError) or (isinstance(error, RegistryError) and error.code == "invalid_offset")
