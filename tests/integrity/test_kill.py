"""A real ``llm-registry serve`` killed with SIGKILL in the middle of uploads: no partial blob is
ever stored under its digest; a resumable session is continued after the restart from where the
server says it stands, and the blob comes out whole."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from llm_registry.errors import NotFoundError, StorageError, ValidationError
from llm_registry.integrity.store_local import LocalBlobStore
from tests.api.test_serve import Server

pytestmark = pytest.mark.slow

MIB = 1 << 20
DATA = os.urandom(24 * MIB)
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
OCTETS = {"Content-Type": "application/octet-stream"}


def slow(data: bytes, started: threading.Event) -> Iterator[bytes]:
    """``data`` in 256 KiB pieces, slowly, so that the server is killed while it reads them."""
    for first in range(0, len(data), 256 * 1024):
        if first >= 2 * MIB:
            started.set()
        yield data[first:first + 256 * 1024]
        time.sleep(0.01)


def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def send_in_background(request: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it
            request()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def partial_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_sigkill_during_uploads_leaves_no_partial_blob(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    blobs = registry / "blobs"
    server = Server(str(registry), "--no-auth", log=tmp_path / "server-1.log")
    try:
        server.wait_ready()
        started = threading.Event()
        put = send_in_background(lambda: httpx.put(
            f"{server.url}/v1/blobs/{DIGEST}", content=slow(DATA, started),
            headers={**OCTETS, "Content-Length": str(len(DATA))}, timeout=60))
        until(lambda: started.is_set() and partial_bytes(blobs / "tmp") > MIB)
        server.stop(signal.SIGKILL)
        put.join(timeout=30)
    finally:
        server.kill_leftovers()
    store = LocalBlobStore(blobs)
    assert not store.has(DIGEST)
    assert list(store.iter_blobs()) == []
    assert partial_bytes(blobs / "tmp") > 0  # what the killed write left, under no digest
    assert store.sweep(before=time.time() + 1) == 1  # which gc sweeps
    assert partial_bytes(blobs / "tmp") == 0

    server = Server(str(registry), "--no-auth", log=tmp_path / "server-2.log")
    try:
        server.wait_ready()
        assert httpx.head(f"{server.url}/v1/blobs/{DIGEST}").status_code == 404
        opened = httpx.post(f"{server.url}/v1/blobs/uploads")
        assert opened.status_code == 202
        session = f"/v1/blobs/uploads/{opened.json()['id']}"
        upload = server.url + session
        first = httpx.patch(upload, content=DATA[:8 * MIB],
                            headers={**OCTETS, "Content-Range": f"bytes 0-{8 * MIB - 1}/*"}, timeout=60)
        assert first.status_code == 202, first.text
        started.clear()
        patch = send_in_background(lambda: httpx.patch(
            upload, content=slow(DATA[8 * MIB:], started), timeout=60,
            headers={**OCTETS, "Content-Range": f"bytes {8 * MIB}-{len(DATA) - 1}/*",
                     "Content-Length": str(len(DATA) - 8 * MIB)}))
        until(lambda: started.is_set() and partial_bytes(blobs / "uploads") > 9 * MIB)
        server.stop(signal.SIGKILL)
        patch.join(timeout=30)
    finally:
        server.kill_leftovers()
    assert not LocalBlobStore(blobs).has(DIGEST)

    server = Server(str(registry), "--no-auth", log=tmp_path / "server-3.log")
    try:
        server.wait_ready()
        upload = server.url + session  # the same session, on the restarted server
        standing = httpx.get(upload)
        assert standing.status_code == 200, standing.text
        offset = standing.json()["offset"]
        assert 8 * MIB < offset < len(DATA)  # the bytes received before the kill are kept, in order
        assert standing.headers["upload-offset"] == str(offset)
        wrong = httpx.patch(upload, content=DATA[:10], headers={**OCTETS, "Content-Range": "bytes 0-9/*"})
        assert (wrong.status_code, wrong.json()["details"]["offset"]) == (409, offset)
        rest = httpx.patch(upload, content=DATA[offset:], timeout=60,
                           headers={**OCTETS, "Content-Range": f"bytes {offset}-{len(DATA) - 1}/*"})
        assert rest.status_code == 202, rest.text
        done = httpx.put(upload, params={"digest": DIGEST}, timeout=60)
        assert done.status_code == 201, done.text
        got = httpx.get(f"{server.url}/v1/blobs/{DIGEST}", timeout=60)
        assert got.content == DATA
    finally:
        server.stop()


def test_push_and_pull_through_a_real_server(tmp_path: Path) -> None:
    from llm_registry.remote import RemoteRegistry
    from llm_registry.settings import Settings

    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(DATA[:3 * MIB])
    (source / "small.txt").write_bytes(b"small")
    server = Server(str(tmp_path / "registry"), "--no-auth", log=tmp_path / "server.log")
    try:
        server.wait_ready()
        settings = Settings.load({"blob_chunk_bytes": MIB}, environ={})  # big.bin goes in three chunks
        with RemoteRegistry(server.url, settings=settings) as remote:
            pushed = remote.push({"kind": "model", "name": "acme/real", "version": "1.0.0"}, [source])
            assert (pushed.uploaded, pushed.skipped) == (2, 0)
            out = tmp_path / "out"
            out.mkdir()
            (out / "big.bin.part").write_bytes(DATA[:MIB + 5])  # a pull cut short
            pulled = remote.pull("model:acme/real", out)
            assert pulled.bytes_downloaded == 2 * MIB - 5 + 5
            assert (out / "big.bin").read_bytes() == DATA[:3 * MIB]
            assert (out / "small.txt").read_bytes() == b"small"
            assert remote.push("model:acme/real@1.0.0", [source]).skipped == 2
            never = {"path": "never.bin", "digest": "sha256:" + "e" * 64, "size": 3}
            remote.register({"kind": "model", "name": "acme/unsent", "version": "1.0.0",
                             "content": {"files": [never]}})
            with pytest.raises(NotFoundError) as info:
                remote.pull("model:acme/unsent", tmp_path / "unsent")
            assert info.value.code == "blob_not_found"
            # Bodies sent with sendfile(2): the server's refusal of a wrong claim comes back as its error,
            # for a whole PUT and for a session alike, and nothing is stored.
            transport = remote._blobs()
            for file in (source / "small.txt", source / "big.bin"):
                wrong = "sha256:" + "d" * 64
                with pytest.raises(ValidationError) as refused:
                    transport.upload(file, digest=wrong, size=file.stat().st_size, sent=lambda n: None)
                assert refused.value.code == "digest_mismatch"
                assert not transport.has(wrong)
            moved: list[int] = []
            with pytest.raises(StorageError):  # a file shorter than the size claimed for it
                transport.upload(source / "small.txt", digest=never["digest"], size=50, sent=moved.append)
            assert sum(moved) == 5
            assert not transport.has(never["digest"])
    finally:
        server.stop()


def send_half(url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
    """A request whose body stops halfway: its client goes away (a truncated upload)."""
    host, port = url.removeprefix("http://").split(":")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[:len(body) // 2])
        time.sleep(0.5)


def test_a_truncated_upload_keeps_nothing_under_the_digest(tmp_path: Path) -> None:
    blobs = tmp_path / "registry" / "blobs"
    server = Server(str(tmp_path / "registry"), "--no-auth", log=tmp_path / "server.log")
    try:
        server.wait_ready()
        data = DATA[:4 * MIB]
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        send_half(server.url, "PUT", f"/v1/blobs/{digest}", data, OCTETS)
        until(lambda: partial_bytes(blobs / "tmp") == 0)  # the temporary file went with the request
        assert httpx.head(f"{server.url}/v1/blobs/{digest}").status_code == 404
        assert not LocalBlobStore(blobs).has(digest)

        opened = httpx.post(f"{server.url}/v1/blobs/uploads").json()
        session = f"/v1/blobs/uploads/{opened['id']}"
        send_half(server.url, "PATCH", session, data, {**OCTETS, "Content-Range": f"bytes 0-{len(data) - 1}/*"})
        until(lambda: httpx.get(server.url + session).json()["offset"] > 0)
        offset = httpx.get(server.url + session).json()["offset"]
        assert 0 < offset <= len(data) // 2  # what came is kept, in order: the upload goes on from there
        rest = httpx.patch(server.url + session, content=data[offset:],
                           headers={**OCTETS, "Content-Range": f"bytes {offset}-{len(data) - 1}/*"})
        assert rest.status_code == 202, rest.text
        assert httpx.put(server.url + session, params={"digest": digest}).status_code == 201
        assert httpx.get(f"{server.url}/v1/blobs/{digest}").content == data
    finally:
        server.stop()
