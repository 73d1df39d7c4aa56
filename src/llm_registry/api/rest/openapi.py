"""The OpenAPI document: what FastAPI derives from the routes, completed with what the app
answers that FastAPI cannot see.

FastAPI knows each route's parameters, body and main answer. What the rest of the app adds is
declared here, once, from the same tables the app runs on: the problems every route can answer
(422, 503, and 413/415 where a JSON or MessagePack body is read), the refusals of authentication, authorization and
rate limiting (from ``security.ROUTE_PERMISSIONS`` and the app's settings), 304 and ``ETag`` on
reads, MessagePack beside JSON wherever content negotiation offers it, the headers the app sets,
the patterns of the domain's rules (``domain.patterns``), each kind's spec schema, and the links
between operations (``links``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from llm_registry.api.rest.encoding import JSON, MSGPACK, OCTETS
from llm_registry.api.rest.errors import PROBLEM_MEDIA_TYPE, Problem
from llm_registry.api.rest.links import LINKS
from llm_registry.api.rest.responses import PROBLEM_SCHEMA, problem
from llm_registry.api.rest.schemas import complete_schemas
from llm_registry.api.rest.security import AUTHENTICATED, PUBLIC, ROUTE_PERMISSIONS, Security

BEARER = "bearer"
Operation = dict[str, Any]

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {"description": "The request's id (the client's when it sent a plain one); also the "
                     "problem's `instance`", "schema": {"type": "string"}},
    "ETag": {"description": "A weak tag of the answer: send it in `If-None-Match` (or in `If-Match` to move "
             "an alias only if it has not moved)", "schema": {"type": "string"}},
    "RateLimit-Policy": {"description": 'The caller\'s rate limit: `"<name>";q=<requests>;w=<seconds>`',
                         "schema": {"type": "string"}},
    "RateLimit": {"description": 'What is left of it: `"<name>";r=<remaining>;t=<seconds until full>`',
                  "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before trying again",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "Location": {"description": "The path of the version", "schema": {"type": "string"}},
    "Upload-Offset": {"description": "The bytes an upload session has: the next chunk starts there",
                      "schema": {"type": "string", "pattern": "^[0-9]+$"}},
}


# The problems the app itself answers, by status, when a route does not say more.
GENERAL: dict[str, dict[str, Any]] = {
    "422": problem("Invalid input (a parameter, an unknown query parameter, the body): `field` names it"),
    "503": problem("The database cannot serve the request now (`storage_unavailable`)", headers=("Retry-After",)),
}
BODY: dict[str, dict[str, Any]] = {
    "413": problem("The body is larger than the server's `max_body_bytes` (`payload_too_large`)"),
    "415": problem("The body is neither JSON (`application/json`, `+json`) nor MessagePack "
                   "(`unsupported_media_type`)"),
}
ACCESS: dict[str, dict[str, Any]] = {
    "401": problem("No valid credentials (`unauthenticated`): send `Authorization: Bearer <token or API key>`"),
    "403": problem("The credentials do not allow this (`forbidden`)"),
}
THROTTLED = problem("Too many requests (`rate_limited`); `Retry-After` says when to try again",
                    headers=("Retry-After",))
# Headers of particular answers: operationId → status → header names.
ANSWER_HEADERS = {
    "register_version": {"201": ("Location",), "200": ("Location",)},
    "set_alias": {"200": ("ETag",)},
}
NOT_MODIFIED = {"description": "Not modified: `If-None-Match` matched the `ETag`",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` answer the completed document (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(app, build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """The document FastAPI made, completed (see the module's docstring)."""
    security: Security | None = app.state.security
    components = document.setdefault("components", {})
    components["headers"] = copy.deepcopy(HEADERS)
    if security is not None:
        components["securitySchemes"] = {BEARER: {
            "type": "http", "scheme": "bearer",
            "description": "An access token (`POST /v1/auth/login`) or an API key (`POST /v1/api-keys`)",
        }}
    schemas = components.setdefault("schemas", {})
    # Request validation answers a problem like every other refusal, not FastAPI's own shape.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    complete_schemas(document)
    # Each operation's id is its route's name (``register_version``, ``get_alias``, …): the
    # links name their targets by it.
    route_names = {(method.lower(), route.path_format): route.name for route in app.routes
                   if isinstance(route, APIRoute) for method in route.methods or ()}
    for method, path, operation in _operations(document):
        operation["operationId"] = route_names.get((method, path), operation.get("operationId"))
        permission = ROUTE_PERMISSIONS.get(f"{method.upper()} {path}", PUBLIC)
        _complete_operation(operation, method, permission, security)
        for status, header_names in ANSWER_HEADERS.get(operation.get("operationId", ""), {}).items():
            headers = operation["responses"][status].setdefault("headers", {})
            for name in header_names:
                headers[name] = {"$ref": f"#/components/headers/{name}"}
        links = LINKS.get(operation.get("operationId", ""))
        if links:
            for status, named in links.items():
                response = operation["responses"].get(status)
                if response is not None:
                    response.setdefault("links", {}).update(copy.deepcopy(named))
    return document


def _operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Operation]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                yield method, path, operation


def _complete_operation(operation: Operation, method: str, permission: str, security: Security | None) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "HTTPValidationError" in str(responses.get("422", "")):
        del responses["422"]
    for answer in responses.values():
        _problems_as_problem_json(answer)
    charged = security is not None and permission != PUBLIC
    _add(responses, GENERAL)
    if "requestBody" in operation:
        body = operation["requestBody"].get("content", {})
        # Blob bytes (api/rest/blobs.py) are taken whatever their type, to limits of their own.
        _add(responses, BODY if list(body) != [OCTETS] else {})
        _offer_msgpack(body)
    if charged:
        _add(responses, ACCESS if permission != AUTHENTICATED else {"401": ACCESS["401"]})
        _add(responses, {"429": THROTTLED})
        requirement: list[dict[str, list[str]]] = [{BEARER: []}]
        if security is not None and security.anonymous_read and permission == "assets:read":
            requirement.append({})
        operation["security"] = requirement
    if method == "get":
        _add(responses, {"304": NOT_MODIFIED})
    for status, answer in responses.items():
        names = ["X-Request-ID"]
        if charged or "429" in responses:
            names += ["RateLimit-Policy", "RateLimit"]
        if method == "get" and status == "200":
            names.append("ETag")
        headers = answer.setdefault("headers", {})
        for name in names:
            headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
        if status.startswith("2"):
            _offer_msgpack(answer.get("content", {}))


def _add(responses: dict[str, Any], more: Mapping[str, Any]) -> None:
    for status, answer in more.items():
        responses.setdefault(status, copy.deepcopy(answer))


def _problems_as_problem_json(answer: dict[str, Any]) -> None:
    """FastAPI files a problem's model under JSON; the app answers it as problem+json."""
    content = answer.get("content", {})
    if PROBLEM_MEDIA_TYPE in content and JSON in content:
        content[PROBLEM_MEDIA_TYPE] = content.pop(JSON)
    schema = content.get(PROBLEM_MEDIA_TYPE, {}).get("schema")
    if PROBLEM_MEDIA_TYPE in content and not schema:
        content[PROBLEM_MEDIA_TYPE]["schema"] = dict(PROBLEM_SCHEMA)


def _offer_msgpack(content: dict[str, Any]) -> None:
    """MessagePack beside JSON, with the same schema (``Accept`` or ``Content-Type: application/msgpack``)."""
    if JSON in content and MSGPACK not in content:
        content[MSGPACK] = copy.deepcopy(content[JSON])


__all__ = ["BEARER", "install"]
