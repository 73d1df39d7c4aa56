"""The discovery routes of the REST API, in-process, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.settings import Settings
from tests.discovery.conftest import manifest


@pytest.fixture
def client(location: str) -> Iterator[httpx.Client]:
    with InProcessTransport(create_app(Settings(url=location, no_auth=True))) as transport, httpx.Client(
        transport=transport, base_url="http://registry.local"
    ) as http:
        yield http


def _register(client: httpx.Client, document: dict[str, Any]) -> None:
    kinds = {"dataset": "datasets", "model": "models", "prompt": "prompts"}[document["kind"]]
    response = client.post(f"/v1/{kinds}", json=document)
    assert response.status_code in (200, 201), response.text


def test_lineage_impact_lock_verify(client: httpx.Client) -> None:
    _register(client, manifest("dataset", "acme/qa"))
    _register(client, manifest("model", "acme/base", deps=[("dataset:acme/qa", "trained_on")]))
    graph = client.get("/v1/lineage", params={"ref": "model:acme/base@1.0.0", "direction": "up"}).json()
    edge = {"from": "model:acme/base@1.0.0", "to": "dataset:acme/qa@1.0.0", "relation": "trained_on"}
    assert graph["edges"] == [edge]
    filtered = client.get("/v1/lineage", params={"ref": "model:acme/base@1.0.0", "relation": "uses"}).json()
    assert filtered["edges"] == []
    bad = client.get("/v1/lineage", params={"ref": "model:acme/base@1.0.0", "direction": "sideways"})
    assert bad.status_code == 422
    impact = client.get("/v1/impact", params={"ref": "dataset:acme/qa@1.0.0"}).json()
    assert [i["path"] for i in impact["items"]] == [["dataset:acme/qa@1.0.0", "model:acme/base@1.0.0"]]
    missing = client.get("/v1/impact", params={"ref": "dataset:acme/none@1.0.0"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "asset_not_found"
    lock = client.post("/v1/lock", json={"refs": ["model:acme/base"]})
    assert lock.status_code == 200, lock.text
    verified = client.post("/v1/verify", json=lock.json()).json()
    assert verified["ok"] is True
    assert [e["status"] for e in verified["entries"]] == ["ok", "ok"]
    assert client.post("/v1/lock", json={"refs": []}).status_code == 422


def test_search_and_suggest(client: httpx.Client) -> None:
    _register(client, manifest("dataset", "acme/qa", labels={"description": "questions", "tags": ["qa"]}))
    _register(client, manifest("model", "acme/base", labels={"description": "base model", "license": "mit"}))
    page = client.get("/v1/search", params={"q": "questions", "facets": "kind,tags"}).json()
    assert [i["ref"] for i in page["items"]] == ["dataset:acme/qa@1.0.0"]
    assert page["facets"] == {"kind": {"dataset": 1}, "tags": {"qa": 1}}
    assert page["next_cursor"] is None
    first = client.get("/v1/search", params={"sort": "name", "limit": 1}).json()
    second = client.get("/v1/search", params={"sort": "name", "limit": 1, "cursor": first["next_cursor"]}).json()
    assert [first["items"][0]["name"], second["items"][0]["name"]] == ["acme/base", "acme/qa"]
    bad = client.get("/v1/search", params={"filter": "license = "})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_filter"
    assert bad.json()["field"] == "filter"
    suggestions = client.get("/v1/search/suggest", params={"prefix": "acme/b"}).json()
    assert suggestions == [{"text": "acme/base", "type": "asset", "ref": "model:acme/base"}]
