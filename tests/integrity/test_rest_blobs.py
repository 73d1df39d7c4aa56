"""The blob routes of the REST API in process (the real app): HEAD, GET with ranges, PUT hashed
while streaming, resumable upload sessions, and the files of a version to pull."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.settings import Settings
from tests.api.conftest import as_tester, problem
from tests.integrity.conftest import s3_settings

DATA = os.urandom(200_000)
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
OTHER = "sha256:" + hashlib.sha256(b"other").hexdigest()
CHUNK_MAX = 65_536
MAX_BLOB = 1_000_000


@pytest.fixture
def app(tmp_path: Path, blob_backend: str, request: pytest.FixtureRequest) -> Iterator[FastAPI]:
    """The app on a registry folder, its blobs in the folder or in S3."""
    blobs = s3_settings(request.getfixturevalue("s3")) if blob_backend == "s3" else {}
    settings = Settings.load({"url": str(tmp_path / "registry"), "no_auth": True, "access_log": False,
                              "blob_chunk_bytes": CHUNK_MAX, "max_blob_bytes": MAX_BLOB, **blobs}, environ={})
    application = create_app(settings, authenticator=as_tester)
    yield application
    application.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url="http://r.test") as http:
        yield http


def put(client: httpx.Client, data: bytes = DATA, digest: str = DIGEST) -> httpx.Response:
    return client.put(f"/v1/blobs/{digest}", content=data, headers={"Content-Type": "application/octet-stream"})


def test_put_head_and_get(client: httpx.Client, app: FastAPI) -> None:
    assert client.head(f"/v1/blobs/{DIGEST}").status_code == 404
    created = put(client)
    assert created.status_code == 201, created.text
    assert created.json() == {"digest": DIGEST, "size": len(DATA)}
    assert created.headers["location"] == f"/v1/blobs/{DIGEST}"
    assert put(client).status_code == 200  # stored already: once
    head = client.head(f"/v1/blobs/{DIGEST}")
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(DATA)))
    got = client.get(f"/v1/blobs/{DIGEST}", headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200
    assert got.content == DATA
    assert "content-encoding" not in got.headers  # blob bytes are never gzipped
    events = client.get("/v1/events", params={"type": "blob.uploaded"}).json()["items"]
    assert [(e["subject"], e["payload"]) for e in events] == [(DIGEST, {"size": len(DATA)})]


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-9", 0, 9), ("bytes=1000-", 1000, len(DATA) - 1), ("bytes=-100", len(DATA) - 100, len(DATA) - 1),
    ("bytes=199990-300000", 199_990, len(DATA) - 1),
])
def test_ranges(client: httpx.Client, header: str, first: int, last: int) -> None:
    put(client)
    got = client.get(f"/v1/blobs/{DIGEST}", headers={"Range": header})
    assert got.status_code == 206
    assert got.content == DATA[first:last + 1]
    assert got.headers["content-range"] == f"bytes {first}-{last}/{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=200000-", "bytes=5-2", "bytes=-", "items=0-1", "bytes=0-1,5-6", "", "0"])
def test_a_range_outside_the_blob_is_416(client: httpx.Client, header: str) -> None:
    put(client)
    got = client.get(f"/v1/blobs/{DIGEST}", headers={"Range": header})
    problem(got, 416, "range_not_satisfiable")
    assert got.headers["content-range"] == f"bytes */{len(DATA)}"


def test_a_missing_blob_and_a_malformed_digest(client: httpx.Client) -> None:
    problem(client.get(f"/v1/blobs/{OTHER}"), 404, "blob_not_found", "digest")
    problem(client.get("/v1/blobs/sha256:XYZ"), 422, "invalid_parameter", "digest")
    problem(client.put("/v1/blobs/md5:abc", content=b"x"), 422, "invalid_parameter", "digest")


def test_a_wrong_claimed_digest_is_refused_and_nothing_kept(client: httpx.Client) -> None:
    problem(put(client, DATA, OTHER), 422, "digest_mismatch", "digest")
    assert client.head(f"/v1/blobs/{OTHER}").status_code == 404
    assert client.head(f"/v1/blobs/{DIGEST}").status_code == 404
    assert client.get("/v1/events", params={"type": "blob.uploaded"}).json()["items"] == []


def test_blob_bodies_have_their_own_limit(client: httpx.Client) -> None:
    big = os.urandom(MAX_BLOB + 1)
    problem(put(client, big, "sha256:" + hashlib.sha256(big).hexdigest()), 413, "payload_too_large")
    # max_body_bytes (10 MB by default) does not hold blobs back; max_blob_bytes does.
    fine = os.urandom(MAX_BLOB)
    assert put(client, fine, "sha256:" + hashlib.sha256(fine).hexdigest()).status_code == 201


def start(client: httpx.Client) -> str:
    response = client.post("/v1/blobs/uploads")
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["offset"], body["chunk_max"]) == (0, CHUNK_MAX)
    assert response.headers["location"] == f"/v1/blobs/uploads/{body['id']}"
    return str(body["id"])


def patch(client: httpx.Client, upload: str, first: int, data: bytes, style: str = "range") -> httpx.Response:
    headers = ({"Content-Range": f"bytes {first}-{first + len(data) - 1}/*"} if style == "range"
               else {"Upload-Offset": str(first)})
    return client.patch(f"/v1/blobs/uploads/{upload}", content=data,
                        headers={**headers, "Content-Type": "application/octet-stream"})


def chunks_of(data: bytes) -> Iterator[tuple[int, bytes]]:
    for first in range(0, len(data), CHUNK_MAX):
        yield first, data[first:first + CHUNK_MAX]


def test_a_resumable_upload(client: httpx.Client) -> None:
    upload = start(client)
    for number, (first, data) in enumerate(chunks_of(DATA)):
        response = patch(client, upload, first, data, "range" if number % 2 else "offset")
        assert response.status_code == 202, response.text
        assert response.json()["offset"] == first + len(data)
        assert int(response.headers["upload-offset"]) == first + len(data)
        assert client.head(f"/v1/blobs/{DIGEST}").status_code == 404  # nothing under the digest yet
    status = client.get(f"/v1/blobs/uploads/{upload}")
    assert (status.status_code, status.json()["offset"]) == (200, len(DATA))
    done = client.put(f"/v1/blobs/uploads/{upload}", params={"digest": DIGEST})
    assert done.status_code == 201, done.text
    assert client.get(f"/v1/blobs/{DIGEST}").content == DATA
    problem(client.get(f"/v1/blobs/uploads/{upload}"), 404, "upload_not_found", "upload_id")


def test_the_last_chunk_may_come_with_the_finish(client: httpx.Client) -> None:
    upload = start(client)
    assert patch(client, upload, 0, DATA[:CHUNK_MAX]).status_code == 202
    done = client.put(f"/v1/blobs/uploads/{upload}", params={"digest": DIGEST}, content=DATA[CHUNK_MAX:2 * CHUNK_MAX])
    problem(done, 422, "digest_mismatch", "digest")  # the rest never came: nothing kept
    upload = start(client)
    for first, data in list(chunks_of(DATA))[:-1]:
        assert patch(client, upload, first, data).status_code == 202
    last = 3 * CHUNK_MAX
    done = client.put(f"/v1/blobs/uploads/{upload}", params={"digest": DIGEST}, content=DATA[last:],
                      headers={"Content-Range": f"bytes {last}-{len(DATA) - 1}/{len(DATA)}"})
    assert done.status_code == 201, done.text
    assert client.get(f"/v1/blobs/{DIGEST}").content == DATA


def test_a_chunk_out_of_order_is_409_with_the_expected_offset(client: httpx.Client) -> None:
    upload = start(client)
    assert patch(client, upload, 0, DATA[:1000]).status_code == 202
    for wrong in (0, 500, 2000):
        refused = patch(client, upload, wrong, DATA[wrong:wrong + 1000])
        body = problem(refused, 409, "invalid_offset", "offset")
        assert body["details"] == {"offset": 1000}
        assert refused.headers["upload-offset"] == "1000"
        assert refused.headers["range"] == "0-999"
    assert client.get(f"/v1/blobs/uploads/{upload}").json()["offset"] == 1000
    problem(client.patch(f"/v1/blobs/uploads/{upload}", content=b"x"), 422, "invalid_parameter", "Content-Range")
    problem(client.patch(f"/v1/blobs/uploads/{upload}", content=b"x", headers={"Content-Range": "bytes 9-1/*"}),
            422, "invalid_parameter", "Content-Range")
    # A superscript two (Latin-1 "²"): str.isdigit() says yes, int() refuses it.
    problem(client.patch(f"/v1/blobs/uploads/{upload}", content=b"x", headers={"Upload-Offset": b"\xb2"}),
            422, "invalid_parameter", "Upload-Offset")


def test_a_blob_read_again_is_not_modified(client: httpx.Client) -> None:
    put(client)
    for method in ("GET", "HEAD"):
        first = client.request(method, f"/v1/blobs/{DIGEST}")
        assert first.headers["etag"] == f'"{DIGEST}"'
        again = client.request(method, f"/v1/blobs/{DIGEST}",
                               headers={"If-None-Match": first.headers["etag"], "Range": "bytes=0-9"})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", first.headers["etag"])


def test_a_missing_blob_answers_head_as_get_would(client: httpx.Client) -> None:
    missing = client.head(f"/v1/blobs/{OTHER}")
    assert (missing.status_code, missing.content) == (404, b"")
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.head("/v1/blobs/sha256:XYZ").status_code == 422


def test_a_chunk_larger_than_the_chunk_limit_is_413(client: httpx.Client) -> None:
    upload = start(client)
    problem(patch(client, upload, 0, DATA[:CHUNK_MAX + 1]), 413, "payload_too_large")
    assert client.get(f"/v1/blobs/uploads/{upload}").json()["offset"] == 0


def test_a_wrong_digest_ends_the_session_and_keeps_nothing(client: httpx.Client) -> None:
    upload = start(client)
    patch(client, upload, 0, DATA[:1000])
    problem(client.put(f"/v1/blobs/uploads/{upload}", params={"digest": OTHER}), 422, "digest_mismatch", "digest")
    assert client.head(f"/v1/blobs/{OTHER}").status_code == 404
    problem(client.get(f"/v1/blobs/uploads/{upload}"), 404, "upload_not_found", "upload_id")


def test_cancel_and_unknown_sessions(client: httpx.Client) -> None:
    upload = start(client)
    assert client.delete(f"/v1/blobs/uploads/{upload}").status_code == 204
    missing = "01J00000000000000000000000"
    for response in (client.delete(f"/v1/blobs/uploads/{upload}"), client.get(f"/v1/blobs/uploads/{missing}"),
                     patch(client, missing, 0, b"x"), client.put(f"/v1/blobs/uploads/{missing}",
                                                                 params={"digest": DIGEST})):
        problem(response, 404, "upload_not_found", "upload_id")
    problem(client.get("/v1/blobs/uploads/not-an-id"), 422, "invalid_parameter", "upload_id")


def document(files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "dataset", "name": "acme/corpus", "version": "1.0.0", "content": {"files": files}}


def test_the_files_of_a_version_to_pull(client: httpx.Client) -> None:
    put(client)
    entry = {"path": "data/part-0.bin", "digest": DIGEST, "size": len(DATA)}
    assert client.post("/v1/datasets", json=document([entry])).status_code == 201
    plan = client.get("/v1/datasets/acme/corpus/versions/1.0.0/files")
    assert plan.status_code == 200, plan.text
    assert plan.json() == {"ref": "dataset:acme/corpus@1.0.0", "digest": plan.json()["digest"], "files": [entry],
                           "warnings": []}
    assert client.post("/v1/prompts", json={"kind": "prompt", "name": "acme/p", "version": "1.0.0",
                                            "spec": {"template": "x"}}).status_code == 201
    problem(client.get("/v1/prompts/acme/p/versions/1.0.0/files"), 422, "no_files", "ref")
    problem(client.get("/v1/datasets/acme/corpus/versions/9.9.9/files"), 404, "version_not_found")


def test_a_path_traversal_is_refused_at_registration(client: httpx.Client) -> None:
    entry = {"path": "../../etc/cron.d/evil", "digest": DIGEST, "size": 1}
    problem(client.post("/v1/datasets", json=document([entry])), 422, "invalid_manifest", "content.files[0].path")
    problem(client.get("/v1/datasets/acme/corpus"), 404, "asset_not_found", "ref")
