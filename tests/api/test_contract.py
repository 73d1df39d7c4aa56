"""What the OpenAPI document promises, checked by hand where fuzzing found it (or might not)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.params import RESERVED_SEGMENTS
from tests.api.conftest import model, problem, register, server_settings
from tests.api.fuzzing import fuzz_settings

OCTETS = "application/octet-stream"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/v1/lock", "POST"), ("POST", "/v1/resolve", "GET"), ("GET", "/v1/verify", "POST"),
    ("OPTIONS", "/v1/models", "GET, POST"), ("PUT", "/v1/models/acme/m/versions/1.0.0", "GET, PATCH, DELETE"),
    ("OPTIONS", "/v1/models/acme/m/aliases/prod", "GET, PUT, DELETE"), ("POST", "/health", "GET"),
    ("PUT", "/v1/blobs/uploads", "POST"), ("OPTIONS", "/v1/blobs/uploads", "POST"),
    ("DELETE", "/v1/blobs/sha256:" + "a" * 64, "GET, HEAD, PUT"),
])
def test_a_method_the_path_lacks_is_405_with_every_method_it_has(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


def test_an_unknown_collection_is_still_an_invalid_kind(client: httpx.Client) -> None:
    problem(client.get("/v1/gadgets"), 422, "invalid_kind", "kinds")


@pytest.mark.parametrize("path", ["/v1/blobs", "/v1/signers/acme/m"])
def test_a_path_under_a_resource_of_its_own_is_no_kind(client: httpx.Client, path: str) -> None:
    problem(client.get(path), 404, "not_found")


def test_reserved_segments_are_the_first_segments_of_other_routes(tmp_path: object) -> None:
    app = create_app(fuzz_settings(f"{tmp_path}/registry"))  # with the access routes
    paths = app.openapi()["paths"]
    firsts = {path.split("/")[2] for path in paths if path.startswith("/v1/")} - {"{kinds}", "prompts"}
    assert firsts == set(RESERVED_SEGMENTS)
    app.state.store.close()


@pytest.mark.parametrize("after", ["²", "٣", "-1", "1.0", str(2**63)])
def test_event_cursors_are_ascii_numbers(client: httpx.Client, after: str) -> None:
    problem(client.get("/v1/events", params={"after": after}), 422, "invalid_cursor", "after")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_times_at_the_edges_of_the_calendar_are_answered(client: httpx.Client, moment: str) -> None:
    register(client, model(name="acme/m"))
    assert client.get("/v1/models/acme/m/versions/1.0.0", params={"as_of": moment}).status_code in (200, 404)
    assert client.get("/v1/events", params={"subject": "model:acme/m"}).status_code == 200


@pytest.mark.parametrize("body", [{"offset": "3"}, {"continue_on_error": "yes"}, {"offset": True}])
def test_batch_options_are_json_values(client: httpx.Client, body: dict[str, Any]) -> None:
    problem(client.post("/v1/batch/register", json={"documents": [model()], **body}), 422, "invalid_parameter",
            next(iter(body)))


def test_sizes_are_json_integers(client: httpx.Client) -> None:
    document = model(content={"digest": "sha256:" + "a" * 64, "size": "10"})
    problem(client.post("/v1/models", json=document), 422, "invalid_manifest", "content.size")
    assert client.post("/v1/models", json=model(content={"digest": "sha256:" + "a" * 64, "size": 10.0})
                       ).status_code == 201


def test_every_operation_declares_its_problems(app: FastAPI) -> None:
    document = app.openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"422", "503"} <= set(responses), (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    assert list(answer["content"]) == ["application/problem+json"], (method, path, status)
                if status == "202" and "approval_required" in answer["description"]:
                    # A change a policy holds for an approval: a problem, though not a failure.
                    assert list(answer["content"]) == ["application/problem+json"], (method, path, status)
                elif status.startswith("2") and "content" in answer:
                    # Negotiated (JSON or MessagePack), or a blob's bytes as they are.
                    assert ({"application/json", "application/msgpack"} <= set(answer["content"])
                            or list(answer["content"]) == [OCTETS]), (method, path)
            if method in ("get", "head"):
                assert "304" in responses, path
                assert "ETag" in responses["200"]["headers"], path
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
                # Only a body parsed as JSON or MessagePack can have a type the server refuses; blob
                # bytes are taken whatever their Content-Type.
                if list(operation["requestBody"]["content"]) != [OCTETS]:
                    assert "415" in responses, (method, path)
    assert "HTTPValidationError" not in str(document)


def test_blob_bodies_and_answers_are_bytes(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path, method in [("/v1/blobs/{digest}", "put"), ("/v1/blobs/uploads/{upload_id}", "patch"),
                         ("/v1/blobs/uploads/{upload_id}", "put")]:
        assert list(paths[path][method]["requestBody"]["content"]) == [OCTETS], (method, path)
        assert "415" not in paths[path][method]["responses"], (method, path)
    get_blob = paths["/v1/blobs/{digest}"]["get"]["responses"]
    assert list(get_blob["200"]["content"]) == list(get_blob["206"]["content"]) == [OCTETS]
    assert "content" not in paths["/v1/blobs/{digest}"]["head"]["responses"]["200"]


def test_a_server_with_authentication_declares_it(tmp_path: object) -> None:
    app = create_app(fuzz_settings(f"{tmp_path}/registry"))
    document = app.openapi()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    register_version = document["paths"]["/v1/{kinds}"]["post"]
    assert register_version["operationId"] == "register_version"
    assert register_version["security"] == [{"bearer": []}]
    assert {"401", "403", "429"} <= set(register_version["responses"])
    assert "security" not in document["paths"]["/v1/auth/login"]["post"]
    links = register_version["responses"]["201"]["links"]
    assert links["SetAlias"]["operationId"] == "set_alias"
    operation_ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    for operation in (op for item in document["paths"].values() for op in item.values()):
        for answer in operation["responses"].values():
            for link in answer.get("links", {}).values():
                assert link["operationId"] in operation_ids, link
    app.state.store.close()


def test_an_open_server_declares_no_credentials(tmp_path: object) -> None:
    app = create_app(server_settings(f"{tmp_path}/registry"))
    document = app.openapi()
    assert "securitySchemes" not in document["components"]
    assert "401" not in document["paths"]["/v1/{kinds}"]["post"]["responses"]
    app.state.store.close()
