"""HTTP behaviour of the REST API: problems, negotiation, ETags, gzip, CORS, request ids, limits.

None of this depends on the database, so these run on SQLite only.
"""

from __future__ import annotations

import gzip
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
import orjson
import pytest
from fastapi import Request

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.domain.access import Actor
from llm_registry.errors import ERROR_CODES, RateLimitedError, RegistryError
from tests.api.conftest import BASE_URL, model, problem, register, server_settings

VERSION = "/v1/models/acme/llama-ft/versions/1.0.0"


@pytest.fixture
def location(tmp_path: Path) -> str:
    return str(tmp_path / "registry")


@pytest.fixture
def backend() -> str:
    return "sqlite"


def serve(location: str, **overrides: Any) -> httpx.Client:
    app = create_app(server_settings(location, **overrides))
    return httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL)


def failing_authenticator(error: Exception) -> Any:
    async def authenticate(request: Request) -> Actor:
        raise error

    return authenticate


def test_unknown_route_and_method(client: httpx.Client) -> None:
    problem(client.get("/v2/models"), 404, "not_found")
    problem(client.get("/v1/models/acme/x/y/z/w"), 404, "not_found")
    refused = problem(client.delete("/v1/resolve"), 405, "method_not_allowed")
    assert refused["detail"]
    assert client.delete("/v1/resolve").headers["allow"] == "GET"


def test_invalid_path_parameters(client: httpx.Client) -> None:
    problem(client.get("/v1/gadgets"), 422, "invalid_kind", "kinds")
    problem(client.get("/v1/models/Acme/x"), 422, "invalid_name", "namespace")
    problem(client.get("/v1/models/acme/x%20y"), 422, "invalid_name", "name")
    problem(client.get("/v1/models/acme/x/versions/v1"), 422, "invalid_version", "version")
    problem(client.get("/v1/models", params={"limit": "many"}), 422, "invalid_parameter", "limit")
    problem(client.get("/v1/models", params={"limit": 1001}), 422, "invalid_parameter", "limit")


def test_unknown_query_parameters_are_refused(client: httpx.Client) -> None:
    register(client, model())
    refused = problem(client.get(VERSION, params={"asof": "2020-01-01T00:00:00Z"}), 422, "invalid_parameter", "asof")
    assert "as_of" in refused["detail"]
    problem(client.post("/v1/models", params={"dry_run": "1"}, json=model()), 422, "invalid_parameter", "dry_run")
    problem(client.get("/health", params={"verbose": "1"}), 422, "invalid_parameter", "verbose")
    repeated = client.get("/v1/events", params=[("actor", "a"), ("actor", "b")])
    assert "more than once" in problem(repeated, 422, "invalid_parameter", "actor")["detail"]
    # A list parameter may repeat.
    assert client.get("/v1/events", params=[("type", "asset.yanked"), ("type", "alias.removed")]).status_code == 200


def test_bodies_of_other_content_types_are_415(client: httpx.Client) -> None:
    text = orjson.dumps(model())
    problem(client.post("/v1/models", content=text, headers={"content-type": "text/plain"}), 415,
            "unsupported_media_type")
    problem(client.post("/v1/models", content=text), 415, "unsupported_media_type")
    problem(client.post("/v1/models", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}),
            415, "unsupported_media_type")
    ok = client.post("/v1/models", content=text, headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 201


def test_malformed_bodies_are_422_never_500(client: httpx.Client) -> None:
    json_type = {"content-type": "application/json"}
    for body in (b"{", b"\xff\xfe", b"[1,", b"null", b'"text"', b"1e999999", b'{"kind": "\xff"}', b"NaN"):
        response = client.post("/v1/models", content=body, headers=json_type)
        problem(response, 422, "invalid_manifest", None)
    # An integer beyond 64 bits is read as a number (a float), never a fault of the store.
    huge = b'{"kind": "model", "name": "a/huge", "version": "1.0.0", "spec": {"n": 1' + b"0" * 30 + b"}}"
    assert client.post("/v1/models", content=huge, headers=json_type).json()["spec"] == {"n": 1e30}
    register(client, model())
    problem(client.patch(VERSION, content=b"{nope", headers=json_type), 422, "invalid_parameter", None)
    problem(client.post("/v1/models", content=b"", headers=json_type), 422, "invalid_manifest", None)
    problem(client.post("/v1/models", content=b"\xc1", headers={"content-type": "application/msgpack"}), 422,
            "invalid_manifest", None)
    # A MessagePack map with a non-string key cannot be a JSON document.
    problem(client.post("/v1/models", content=msgpack.packb({1: 2}), headers={"content-type": "application/msgpack"}),
            422, "invalid_manifest", None)


def test_oversized_bodies_are_413(location: str) -> None:
    with serve(location, max_body_bytes=2048) as client:
        big = model(labels={"description": "x" * 4000})
        problem(client.post("/v1/models", json=big), 413, "payload_too_large")

        def chunks() -> Iterator[bytes]:
            payload = orjson.dumps(big)
            for start in range(0, len(payload), 512):
                yield payload[start:start + 512]

        streamed = client.post("/v1/models", content=chunks(), headers={"content-type": "application/json"})
        problem(streamed, 413, "payload_too_large")
        assert client.get("/v1/events").json()["items"] == []
        assert client.post("/v1/models", json=model()).status_code == 201


def test_msgpack_both_ways(client: httpx.Client) -> None:
    packed = msgpack.packb(model())
    created = client.post("/v1/models", content=packed,
                          headers={"content-type": "application/msgpack", "accept": "application/msgpack"})
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/msgpack"
    document = msgpack.unpackb(created.content)
    assert document["version"] == "1.0.0"
    assert document == client.get(VERSION).json()

    as_json = client.get(VERSION, headers={"accept": "application/json, application/msgpack;q=0.5"})
    assert as_json.headers["content-type"] == "application/json"
    as_msgpack = client.get(VERSION, headers={"accept": "application/json;q=0.5, application/x-msgpack"})
    assert msgpack.unpackb(as_msgpack.content) == document
    assert as_json.headers["etag"] != as_msgpack.headers["etag"]
    listed = client.get("/v1/models", headers={"accept": "application/msgpack"})
    assert msgpack.unpackb(listed.content)["items"][0]["name"] == "acme/llama-ft"
    # Problems stay problem+json whatever the client prefers.
    missing = client.get("/v1/models/acme/none", headers={"accept": "application/msgpack"})
    problem(missing, 404, "asset_not_found", "ref")


def test_etag_and_if_none_match(client: httpx.Client) -> None:
    register(client, model())
    first = client.get(VERSION)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "no-cache"
    assert "Accept" in first.headers["vary"]
    unchanged = client.get(VERSION, headers={"if-none-match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    assert client.get(VERSION, headers={"if-none-match": f'"other", {etag.removeprefix("W/")}'}).status_code == 304
    assert client.get(VERSION, headers={"if-none-match": "*"}).status_code == 304
    assert client.get(VERSION, headers={"if-none-match": '"other"'}).status_code == 200

    client.patch(VERSION, json={"labels": {"add_tags": ["new"]}})
    changed = client.get(VERSION, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag

    for path in ("/v1/models", "/v1/models/acme/llama-ft", "/v1/models/acme/llama-ft/versions", "/v1/events",
                 "/v1/models/acme/llama-ft/aliases", f"{VERSION}/history"):
        tag = client.get(path).headers["etag"]
        assert client.get(path, headers={"if-none-match": tag}).status_code == 304, path
    # Writes answer no ETag and ignore If-None-Match.
    assert "etag" not in client.patch(VERSION, json={}, headers={"if-none-match": "*"}).headers


def test_gzip_for_large_answers_only(client: httpx.Client) -> None:
    register(client, model(labels={"description": "words " * 500}))
    raw = client.get(VERSION, headers={"accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["vary"]
    assert raw.json()["labels"]["description"].startswith("words")
    with client.stream("GET", VERSION, headers={"accept-encoding": "gzip"}) as stream:
        body = b"".join(stream.iter_raw())
    assert orjson.loads(gzip.decompress(body))["version"] == "1.0.0"
    small = client.get("/health", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers
    plain = client.get(VERSION, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_cors_when_configured(location: str) -> None:
    with serve(location, cors_origins="https://ui.example, https://admin.example") as client:
        preflight = client.options("/v1/models", headers={
            "origin": "https://ui.example", "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://ui.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        simple = client.get("/health", headers={"origin": "https://admin.example"})
        assert simple.headers["access-control-allow-origin"] == "https://admin.example"
        assert "ETag" in simple.headers["access-control-expose-headers"]
        other = client.get("/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_cors_allows_a_blob_upload(location: str) -> None:
    with serve(location, cors_origins="https://ui.example") as client:
        preflight = client.options("/v1/blobs/uploads/01J00000000000000000000000", headers={
            "origin": "https://ui.example", "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type, content-range, upload-offset"})
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "https://ui.example"
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"content-range", "upload-offset", "authorization"} <= set(allowed.replace(" ", "").split(","))
        read = client.head("/v1/blobs/sha256:" + "0" * 64, headers={"origin": "https://ui.example"})
        exposed = read.headers["access-control-expose-headers"].lower().replace(" ", "").split(",")
        assert {"etag", "content-range", "upload-offset", "location"} <= set(exposed)
        refused = client.options("/v1/blobs/uploads", headers={
            "origin": "https://evil.example", "access-control-request-method": "PATCH"})
        assert "access-control-allow-origin" not in refused.headers


def test_no_cors_by_default(client: httpx.Client) -> None:
    answer = client.get("/health", headers={"origin": "https://ui.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_request_id_on_every_answer(client: httpx.Client) -> None:
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 26
    assert client.get("/health").headers["x-request-id"] != generated
    assert client.get("/health", headers={"x-request-id": "trace-123"}).headers["x-request-id"] == "trace-123"
    unsafe = client.get("/health", headers={"x-request-id": "a b\"c"}).headers["x-request-id"]
    assert len(unsafe) == 26
    missing = client.get("/v1/models/acme/none", headers={"x-request-id": "req-7"})
    assert problem(missing, 404, "asset_not_found", "ref")["instance"] == "req-7"


def test_structured_access_log(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="llm_registry.access"):
        client.get("/v1/models", params={"limit": 5}, headers={"x-request-id": "log-1"})
    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "llm_registry.access"]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("event", "request_id", "method", "path", "query", "status", "actor", "level")} == {
        "event": "request", "request_id": "log-1", "method": "GET", "path": "/v1/models", "query": "limit=5",
        "status": 200, "actor": "tester", "level": "info"}
    assert line["duration_ms"] >= 0
    assert line["timestamp"].endswith("Z")


def test_access_log_can_be_turned_off(location: str, caplog: pytest.LogCaptureFixture) -> None:
    with serve(location, access_log=False) as client, caplog.at_level(logging.INFO, logger="llm_registry.access"):
        client.get("/health")
    assert not [r for r in caplog.records if r.name == "llm_registry.access"]


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_error_class_maps_to_its_status(location: str, code: str) -> None:
    cls = ERROR_CODES[code][0]
    error: RegistryError = (
        RateLimitedError("slow down", retry_after=2.5, code=code) if cls is RateLimitedError
        else cls(f"{code} happened", code=code, field="somewhere")
    )
    app = create_app(server_settings(location), authenticator=failing_authenticator(error))
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        response = client.get("/v1/models")
    body = problem(response, cls.http_status, code, None if cls is RateLimitedError else "somewhere")
    assert body["title"] == cls.title
    if cls is RateLimitedError:
        assert response.headers["retry-after"] == "2"
        assert body["details"] == {"retry_after": 2.5}


def test_a_bug_is_a_500_problem_with_the_request_id(location: str, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(server_settings(location), authenticator=failing_authenticator(RuntimeError("bug")))
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client, caplog.at_level(logging.ERROR):
        response = client.get("/v1/models", headers={"x-request-id": "boom-1"})
    body = problem(response, 500, "internal_error")
    assert body["instance"] == "boom-1"
    assert "bug" not in body["detail"]
    errors = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "llm_registry.server"]
    assert errors[0]["request_id"] == "boom-1"
    assert "RuntimeError: bug" in errors[0]["exception"]


def test_a_database_fault_is_503(location: str) -> None:
    """A write that cannot get the database (another process holds it past the busy timeout) is
    the store's StorageError: 503 with Retry-After, nothing written."""
    app = create_app(server_settings(location, sqlite_busy_timeout_ms=50))
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        blocker = sqlite3.connect(Path(location) / "registry.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            response = client.post("/v1/models", json=model())
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        problem(response, 503, "storage_unavailable")
        assert response.headers["retry-after"] == "1"
        assert "locked" not in response.text  # the database's own words stay in the log
        assert client.get("/v1/models").json()["items"] == []


def test_openapi_and_docs(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "LLM Registry"
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    for expected in [("POST", "/v1/{kinds}"), ("GET", "/v1/{kinds}"), ("GET", "/v1/{kinds}/{namespace}/{name}"),
                     ("GET", "/v1/{kinds}/{namespace}/{name}/versions"),
                     ("GET", "/v1/{kinds}/{namespace}/{name}/versions/{version}"),
                     ("PATCH", "/v1/{kinds}/{namespace}/{name}/versions/{version}"),
                     ("DELETE", "/v1/{kinds}/{namespace}/{name}/versions/{version}"),
                     ("PUT", "/v1/{kinds}/{namespace}/{name}/aliases/{alias}"),
                     ("DELETE", "/v1/{kinds}/{namespace}/{name}/aliases/{alias}"),
                     ("GET", "/v1/resolve"), ("POST", "/v1/prompts/{namespace}/{name}/versions/{version}/render"),
                     ("GET", "/v1/events"), ("GET", "/health"), ("GET", "/ready")]:
        assert expected in operations
    not_found = schema["paths"]["/v1/resolve"]["get"]["responses"]["404"]["content"]
    assert list(not_found) == ["application/problem+json"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
