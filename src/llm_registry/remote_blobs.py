"""Blobs over HTTP for the remote registry's push and pull: HEAD to skip what the server has, a
streamed PUT for a file up to a chunk, a resumable upload session in chunks for a larger one (a
chunk that fails is sent again from where the server says the session stands), and ranged GETs.

Blob bodies over the network go through the standard library's ``http.client``, not httpx: an
upload's body is handed to the kernel with ``sendfile(2)`` (the file's bytes never pass through
Python), and a download is read into one reused buffer. httpx moves a body 64 KiB at a time
through h11, in Python, a new bytes object each time (docs/integrity.md has the figures). Every
other request (and every one through a transport given to the client) goes through httpx.
"""

from __future__ import annotations

import contextlib
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
from llm_registry.integrity.hashing import CHUNK, read_into
from llm_registry.integrity.transfer import file_chunks
from llm_registry.problems import error_from_response

OCTETS = {"Content-Type": "application/octet-stream"}
ATTEMPTS = 5  # tries of one chunk before a push gives up
SENDFILE_SLICE = 8 << 20  # bytes handed to sendfile(2) at a time, between reports of progress


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
        if self.connection.direct:
            with _DirectConnection(self.connection) as direct:
                direct.send_file("PUT", f"/v1/blobs/{digest}", path, offset=0, length=size, headers=headers,
                                 sent=sent)
            return
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
        with contextlib.ExitStack() as stack:
            direct = stack.enter_context(_DirectConnection(self.connection)) if self.connection.direct else None
            while offset < size:
                length = min(chunk, size - offset)
                headers = {**OCTETS, "Content-Length": str(length),
                           "Content-Range": f"bytes {offset}-{offset + length - 1}/{size}"}
                moved = 0

                def count(n: int) -> None:
                    nonlocal moved
                    moved += n

                try:
                    if direct is not None:
                        after = orjson.loads(direct.send_file("PATCH", upload, path, offset=offset, length=length,
                                                              headers=headers, sent=count))
                    else:
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
    def download(self, digest: str, *, offset: int) -> Iterator[Iterable[bytes | memoryview]]:
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
    def _direct_get(self, path: str, headers: dict[str, str], *,
                    ranged: bool) -> Iterator[Iterable[bytes | memoryview]]:
        with _DirectConnection(self.connection) as direct:
            response = direct.request("GET", path, headers=headers)
            if ranged and response.status != 206:
                raise StorageError(f"the server answered {response.status} to a range of {path}",
                                   code="blob_store_unavailable")
            yield _read(response)


class _DirectConnection:
    """One ``http.client`` connection to the server of ``connection``, for blob bodies; closed on
    leaving (and after any failure, so that the next request opens a new one)."""

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        url = urlsplit(connection.location)
        self._base = url.path.rstrip("/")
        timeout = connection.settings.request_timeout
        self._http: http.client.HTTPConnection
        if url.scheme == "https":
            self._http = http.client.HTTPSConnection(url.hostname or "", url.port, timeout=timeout,
                                                     context=ssl.create_default_context())
        else:
            self._http = http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)

    def __enter__(self) -> _DirectConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _unreachable(self, exc: Exception) -> StorageError:
        self._http.close()
        return StorageError(f"cannot reach the registry at {self.connection.location}: {exc}",
                            code="storage_unavailable")

    def _start(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._http.putrequest(method, self._base + path, skip_accept_encoding=True)
        for name, value in {**self.connection.headers(), **headers}.items():
            self._http.putheader(name, value)
        self._http.endheaders()

    def _answer(self) -> http.client.HTTPResponse:
        """The response (its body unread); raises the RegistryError of a problem answer."""
        response = self._http.getresponse()
        if response.status >= 400:
            body = response.read()
            self._http.close()
            raise error_from_response(httpx.Response(response.status, headers=response.getheaders(), content=body))
        return response

    def request(self, method: str, path: str, *, headers: dict[str, str]) -> http.client.HTTPResponse:
        """The answer to a request without a body, to be read before the next request."""
        try:
            self._start(method, path, headers)
            return self._answer()
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from None

    def send_file(self, method: str, path: str, file: Path, *, offset: int, length: int, headers: dict[str, str],
                  sent: Callable[[int], None]) -> bytes:
        """The body of the answer to a request whose body is ``length`` bytes of ``file`` from
        ``offset``; raises the RegistryError of a problem answer, StorageError when the server
        cannot be reached or the file is shorter than that."""
        try:
            self._start(method, path, headers)
            with file.open("rb") as handle:
                moved = 0
                while moved < length:
                    # socket.sendfile uses sendfile(2) on a plain socket (send on a TLS one).
                    count = self._http.sock.sendfile(handle, offset + moved, min(SENDFILE_SLICE, length - moved))
                    if not count:
                        self._http.close()
                        raise StorageError(f"{file} is shorter than the {offset + length} bytes sent of it",
                                           code="storage_unavailable")
                    moved += count
                    sent(count)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, BrokenPipeError | ConnectionResetError):
                # The server may have answered before the body's end (a refusal) and closed.
                with contextlib.suppress(OSError, http.client.HTTPException):
                    self._answer()
            raise self._unreachable(exc) from None
        try:
            return self._answer().read()
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from None


def _read(response: http.client.HTTPResponse) -> Iterator[memoryview]:
    try:
        yield from read_into(response)
    except (OSError, http.client.HTTPException) as exc:
        raise StorageError(f"the download was cut short: {exc}", code="storage_unavailable") from None


def _retryable(error: Exception) -> bool:
    """Faults of the way (the network, a server restarting), not refusals of the request."""
    if isinstance(error, httpx.HTTPError):
        return True
    return isinstance(error, StorageError) or (isinstance(error, RegistryError) and error.code == "invalid_offset")
