"""Blobs over HTTP for the remote registry's push and pull: HEAD to skip what the server has, a
streamed PUT for a file up to a chunk, a resumable upload session in chunks for a larger one (a
chunk that fails is sent again from where the server says the session stands), and ranged GETs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

from llm_registry.connection import ServerConnection
from llm_registry.errors import RegistryError, StorageError
from llm_registry.integrity.hashing import CHUNK
from llm_registry.integrity.transfer import file_chunks

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
        response = self.connection.stream("GET", f"/v1/blobs/{digest}", headers=headers)
        try:
            if offset and response.status_code != 206:
                raise StorageError(f"the server answered {response.status_code} to a range of {digest}",
                                   code="blob_store_unavailable")
            yield response.iter_raw(CHUNK)
        finally:
            response.close()


def _retryable(error: Exception) -> bool:
    """Faults of the way (the network, a server restarting), not refusals of the request."""
    if isinstance(error, httpx.HTTPError):
        return True
    return isinstance(error, StorageError) or (isinstance(error, RegistryError) and error.code == "invalid_offset")
