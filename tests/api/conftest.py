"""Fixtures of the REST API suite: the real app in process, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.domain.access import Actor
from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings

BASE_URL = "http://registry.test"
ACTOR = "tester"


def model(name: str = "acme/llama-ft", version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "model", "name": name, "version": version,
        "spec": {"architecture": "llama", "parameters": 8030000000, "context_length": 8192},
        "labels": {"description": "Support fine-tune", "license": "apache-2.0", "tags": ["chat"],
                   "annotations": {"team": "nlp"}},
        **extra,
    }


def prompt(name: str = "acme/support", version: str = "1.0.0") -> dict[str, Any]:
    return {
        "kind": "prompt", "name": name, "version": version,
        "spec": {"template": "Hello {{ who }}!",
                 "variables": {"type": "object", "required": ["who"], "properties": {"who": {"type": "string"}}}},
    }


async def as_tester(request: Request) -> Actor:
    return Actor(ACTOR)


def server_settings(location: str, **overrides: Any) -> Settings:
    """Settings of a test server: never the developer's environment."""
    # Authentication has its own tests (tests/access); these run the open server unless told.
    return Settings.load({"url": location, "no_auth": True, **overrides}, environ={})


@pytest.fixture
def settings(location: str) -> Settings:
    return server_settings(location)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The app (acting as ``tester``); its store is closed at the end even when no request ran."""
    application = create_app(settings, authenticator=as_tester)
    yield application
    application.state.store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client of the app in process (its lifespan runs; closing it closes the store)."""
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def remote(app: FastAPI) -> Iterator[RemoteRegistry]:
    """The Python API over HTTP, against the app in process."""
    with RemoteRegistry(BASE_URL, settings=Settings.load(environ={}), transport=InProcessTransport(app)) as registry:
        yield registry


def register(client: httpx.Client, document: dict[str, Any], collection: str = "models") -> dict[str, Any]:
    response = client.post(f"/v1/{collection}", json=document)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """Assert the response is the problem+json ``status``/``code``/``field``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["code"], body["field"]) == (code, field), body
    assert body["status"] == status
    assert body["type"] == f"urn:llm-registry:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.headers["x-request-id"]
    return body
