"""Every route of REST v1 over the real app in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import httpx
from fastapi import FastAPI

from llm_registry.api.rest.inprocess import InProcessTransport
from tests.api.conftest import ACTOR, BASE_URL, model, problem, prompt, register

VERSION = "/v1/models/acme/llama-ft/versions/1.0.0"


def test_register_created_then_identical_then_conflict(client: httpx.Client) -> None:
    created = client.post("/v1/models", json=model())
    assert created.status_code == 201
    document = created.json()
    assert created.headers["location"] == VERSION
    assert (document["kind"], document["name"], document["version"]) == ("model", "acme/llama-ft", "1.0.0")
    assert (document["status"], document["revision"], document["created_by"]) == ("active", 1, ACTOR)
    assert document["digest"].startswith("sha256:")

    again = client.post("/v1/models", json=model())
    assert again.status_code == 200
    assert again.json() == document

    changed = model(spec={"architecture": "mistral"})
    problem(client.post("/v1/models", json=changed), 409, "version_conflict", "version")


def test_register_refuses_bad_documents_with_the_field(client: httpx.Client) -> None:
    problem(client.post("/v1/datasets", json=model()), 422, "invalid_kind", "kind")
    problem(client.post("/v1/models", json={**model(), "extra": 1}), 422, "unknown_field", "extra")
    problem(client.post("/v1/models", json=model(name="Bad Name")), 422, "invalid_name", "name")
    problem(client.post("/v1/models", json=model(version="1.0")), 422, "invalid_version", "version")
    problem(client.post("/v1/models", json={**model(), "labels": {"tags": ["NO"]}}), 422, "invalid_manifest",
            "labels.tags")
    problem(client.post("/v1/models", json={"name": "a/b", "version": "1.0.0"}), 422, "invalid_kind", "kind")
    problem(client.post("/v1/models", json=[1, 2]), 422, "invalid_manifest", None)
    missing = model(name="acme/child", dependencies=[{"ref": "model:acme/none@^1", "relation": "derived_from"}])
    problem(client.post("/v1/models", json=missing), 404, "dependency_not_found", "dependencies[0].ref")
    assert client.get("/v1/events").json()["items"] == []


def test_assets_listed_by_kind_and_across_kinds_with_pages(client: httpx.Client) -> None:
    for name in ("acme/a", "acme/b", "acme/c", "other/d"):
        register(client, model(name=name))
    register(client, prompt(), "prompts")

    first = client.get("/v1/models", params={"limit": 2}).json()
    assert [a["name"] for a in first["items"]] == ["acme/a", "acme/b"]
    second = client.get("/v1/models", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["name"] for a in second["items"]] == ["acme/c", "other/d"]
    assert second["next_cursor"] is None

    in_namespace = client.get("/v1/models", params={"namespace": "other"}).json()
    assert [a["name"] for a in in_namespace["items"]] == ["other/d"]
    everything = client.get("/v1/assets").json()
    assert [(a["kind"], a["name"]) for a in everything["items"]][-1] == ("prompt", "acme/support")
    assert client.get("/v1/assets", params={"kind": "prompt"}).json()["items"][0]["name"] == "acme/support"
    assert client.get("/v1/prompts").json()["items"][0]["version_count"] == 1


def test_asset_and_versions_descending_in_pages(client: httpx.Client) -> None:
    for version in ("1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1"):
        register(client, model(version=version))
    asset = client.get("/v1/models/acme/llama-ft").json()
    assert (asset["latest"], asset["version_count"], asset["aliases"]) == ("1.10.0", 4, {})

    first = client.get("/v1/models/acme/llama-ft/versions", params={"limit": 3}).json()
    assert [v["version"] for v in first["items"]] == ["2.0.0-rc.1", "1.10.0", "1.2.0"]
    rest = client.get("/v1/models/acme/llama-ft/versions", params={"cursor": first["next_cursor"]}).json()
    assert [v["version"] for v in rest["items"]] == ["1.0.0"]
    assert rest["next_cursor"] is None

    problem(client.get("/v1/models/acme/none"), 404, "asset_not_found", "ref")
    problem(client.get("/v1/models/acme/none/versions"), 404, "asset_not_found", "ref")
    problem(client.get("/v1/models/acme/llama-ft/versions", params={"cursor": "%%%"}), 422, "invalid_cursor",
            "cursor")


def test_get_version_exact_and_as_of(client: httpx.Client) -> None:
    registered = register(client, model())
    before = client.get(VERSION).json()
    assert before == registered
    time.sleep(0.01)
    moment = client.get("/v1/events").json()["items"][-1]["created_at"]
    client.patch(VERSION, json={"labels": {"description": "changed"}})
    assert client.get(VERSION).json()["labels"]["description"] == "changed"
    old = client.get(VERSION, params={"as_of": moment}).json()
    assert old["labels"]["description"] == "Support fine-tune"

    problem(client.get("/v1/models/acme/llama-ft/versions/9.9.9"), 404, "version_not_found", None)
    problem(client.get("/v1/models/acme/llama-ft/versions/^1.0"), 422, "invalid_version", "version")
    problem(client.get(VERSION, params={"as_of": "yesterday"}), 422, "invalid_parameter", "as_of")


def test_patch_labels_then_history_in_pages(client: httpx.Client) -> None:
    register(client, model())
    changed = client.patch(VERSION, json={"labels": {
        "description": "", "license": "mit", "add_tags": ["new"], "remove_tags": ["chat"],
        "annotations": {"team": None, "owner": "ops"}}})
    assert changed.status_code == 200
    labels = changed.json()["labels"]
    assert labels == {"description": None, "license": "mit", "tags": ["new"], "annotations": {"owner": "ops"}}
    assert changed.json()["revision"] == 2
    client.patch(VERSION, json={"labels": {"add_tags": ["third"]}})

    history = client.get(f"{VERSION}/history", params={"limit": 2}).json()
    assert [r["revision"] for r in history["items"]] == [1, 2]
    assert history["items"][1]["created_by"] == ACTOR
    rest = client.get(f"{VERSION}/history", params={"cursor": history["next_cursor"]}).json()
    assert ([r["revision"] for r in rest["items"]], rest["next_cursor"]) == ([3], None)

    problem(client.patch(VERSION, json={"labels": {"add_tags": ["BAD TAG"]}}), 422, "invalid_manifest",
            "labels.tags")
    problem(client.patch(VERSION, json={"labels": {"colour": "red"}}), 422, "invalid_parameter", "labels.colour")


def test_patch_labels_is_a_json_merge_patch(client: httpx.Client) -> None:
    register(client, model(labels={"description": "d", "license": "mit", "tags": ["chat", "old"],
                                   "annotations": {"team": "nlp", "stage": "beta"}}))
    # tags replaces the list; null removes a field; annotations merge key by key.
    changed = client.patch(VERSION, json={"labels": {"tags": ["support", "chat"], "description": None,
                                                     "annotations": {"stage": None, "owner": "ops"}}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["labels"] == {"description": None, "license": "mit", "tags": ["support", "chat"],
                                        "annotations": {"team": "nlp", "owner": "ops"}}
    # add_tags and remove_tags still work, after a replacement in the same patch.
    changed = client.patch(VERSION, json={"labels": {"tags": ["a"], "add_tags": ["b"], "license": None}})
    assert changed.json()["labels"]["tags"] == ["a", "b"]
    assert changed.json()["labels"]["license"] is None
    # "annotations": null removes them all; a field left out is unchanged.
    cleared = client.patch(VERSION, json={"labels": {"annotations": None}}).json()["labels"]
    assert cleared == {"description": None, "license": None, "tags": ["a", "b"], "annotations": {}}
    assert client.patch(VERSION, json={"labels": {"tags": None}}).json()["labels"]["tags"] == []


def test_patch_status_deprecate_yank_restore(client: httpx.Client) -> None:
    register(client, model())
    register(client, model(version="1.1.0"))
    deprecated = client.patch(VERSION, json={"status": "deprecated", "message": "old",
                                             "replacement": "model:acme/llama-ft@1.1.0"}).json()
    assert (deprecated["status"], deprecated["status_message"]) == ("deprecated", "old")
    assert deprecated["replacement"] == "model:acme/llama-ft@1.1.0"
    yanked = client.patch(VERSION, json={"status": "yanked", "reason": "broken"}).json()
    assert (yanked["status"], yanked["status_message"]) == ("yanked", "broken")
    problem(client.patch(VERSION, json={"status": "deprecated"}), 409, "invalid_status_change", "status")
    assert client.patch(VERSION, json={"status": "active"}).json()["status"] == "active"

    problem(client.patch(VERSION, json={"status": "gone"}), 422, "invalid_parameter", "status")
    problem(client.patch(VERSION, json={"status": "yanked", "labels": {"add_tags": ["x"]}}), 422,
            "invalid_parameter", "status")
    problem(client.patch(VERSION, json={"reason": "why"}), 422, "invalid_parameter", "reason")
    problem(client.patch(VERSION, json={"status": "yanked", "replacement": "model:a/b"}), 422, "invalid_parameter",
            "replacement")
    assert client.patch(VERSION, json={}).json()["revision"] == 1
    types = [e["type"] for e in client.get("/v1/events").json()["items"]]
    assert types.count("asset.deprecated") == types.count("asset.yanked") == types.count("asset.restored") == 1


def test_delete_refused_while_pinned_unless_forced(client: httpx.Client) -> None:
    register(client, model())
    child = model(name="acme/child", dependencies=[{"ref": "model:acme/llama-ft@^1", "relation": "derived_from"}])
    register(client, child)
    refused = problem(client.delete(VERSION), 409, "has_dependents", "ref")
    assert refused["details"] == {"dependents": ["model:acme/child@1.0.0"]}
    problem(client.delete(VERSION, params={"force": "maybe"}), 422, "invalid_parameter", "force")
    deleted = client.delete(VERSION, params={"force": "true"})
    assert deleted.status_code == 200
    assert deleted.json()["version"] == "1.0.0"
    problem(client.get(VERSION), 404, "version_not_found", None)


def test_an_alias_move_with_if_match_is_refused_once_it_moved(client: httpx.Client) -> None:
    register(client, model())
    register(client, model(version="1.1.0"))
    aliases = "/v1/models/acme/llama-ft/aliases"
    moved = client.put(f"{aliases}/production", json={"version": "1.0.0"})
    etag = moved.headers["etag"]
    shown = client.get(f"{aliases}/production")
    assert (shown.json()["version"], shown.headers["etag"]) == ("1.0.0", etag)
    assert client.get(f"{aliases}/latest").json() == {"name": "latest", "version": "1.1.0", "implicit": True,
                                                      "updated_at": None, "updated_by": None}
    # Someone else moves it: a move conditioned on what was seen is refused, the alias stays.
    assert client.put(f"{aliases}/production", json={"version": "1.1.0"}).status_code == 200
    problem(client.put(f"{aliases}/production", json={"version": "1.0.0"}, headers={"If-Match": etag}), 409,
            "precondition_failed", "alias")
    assert client.get(f"{aliases}/production").json()["version"] == "1.1.0"
    current = client.get(f"{aliases}/production").headers["etag"]
    assert client.put(f"{aliases}/production", json={"version": "1.0.0"}, headers={"If-Match": current}).json()[
        "version"] == "1.0.0"
    # "*": only if it exists.
    problem(client.put(f"{aliases}/staging", json={"version": "1.0.0"}, headers={"If-Match": "*"}), 409,
            "precondition_failed", "alias")
    problem(client.get(f"{aliases}/staging"), 404, "alias_not_found", "alias")


def test_aliases_put_list_delete(client: httpx.Client) -> None:
    register(client, model())
    register(client, model(version="1.1.0"))
    moved = client.put("/v1/models/acme/llama-ft/aliases/production", json={"version": "1.0.0"})
    assert moved.status_code == 200
    assert moved.json()["version"] == "1.0.0"
    assert moved.json()["updated_by"] == ACTOR
    client.put("/v1/models/acme/llama-ft/aliases/staging", json={"version": "1.1.0"})

    listed = client.get("/v1/models/acme/llama-ft/aliases", params={"limit": 2}).json()
    assert [(a["name"], a["version"], a["implicit"]) for a in listed["items"]] == [
        ("latest", "1.1.0", True), ("production", "1.0.0", False)]
    rest = client.get("/v1/models/acme/llama-ft/aliases", params={"cursor": listed["next_cursor"]}).json()
    assert [a["name"] for a in rest["items"]] == ["staging"]
    assert client.get("/v1/resolve", params={"ref": "model:acme/llama-ft@production"}).json()["version"] == "1.0.0"
    assert "production" in client.get(VERSION).json()["aliases"]

    assert client.delete("/v1/models/acme/llama-ft/aliases/production").status_code == 204
    problem(client.delete("/v1/models/acme/llama-ft/aliases/production"), 404, "alias_not_found", None)
    problem(client.put("/v1/models/acme/llama-ft/aliases/latest", json={"version": "1.0.0"}), 422,
            "invalid_alias", "alias")
    problem(client.put("/v1/models/acme/llama-ft/aliases/Prod", json={"version": "1.0.0"}), 422, "invalid_alias",
            "alias")
    problem(client.put("/v1/models/acme/llama-ft/aliases/prod", json={"version": "one"}), 422, "invalid_version",
            "version")
    problem(client.put("/v1/models/acme/llama-ft/aliases/prod", json={}), 422, "invalid_parameter", "version")
    client.patch("/v1/models/acme/llama-ft/versions/1.1.0", json={"status": "yanked"})
    problem(client.put("/v1/models/acme/llama-ft/aliases/prod", json={"version": "1.1.0"}), 409,
            "invalid_status_change", "version")


def test_resolve_ranges_aliases_digests(client: httpx.Client) -> None:
    for version in ("1.0.0", "1.2.0", "1.3.0-beta.1", "2.0.0"):
        register(client, model(version=version))
    digest = client.get(VERSION).json()["digest"]

    def resolve(ref: str) -> str:
        response = client.get("/v1/resolve", params={"ref": ref})
        assert response.status_code == 200, response.text
        return str(response.json()["version"])

    assert resolve("model:acme/llama-ft") == "2.0.0"
    assert resolve("model:acme/llama-ft@^1.0") == "1.2.0"
    assert resolve("model:acme/llama-ft@>=1.3.0-beta.0 <2") == "1.3.0-beta.1"
    assert resolve(f"model:acme/llama-ft@{digest}") == "1.0.0"
    problem(client.get("/v1/resolve", params={"ref": "model:acme/llama-ft@^9"}), 404, "version_not_found", None)
    problem(client.get("/v1/resolve", params={"ref": "nonsense"}), 422, "invalid_reference", "ref")
    problem(client.get("/v1/resolve"), 422, "invalid_reference", "ref")


def test_render_prompt(client: httpx.Client) -> None:
    register(client, prompt(), "prompts")
    path = "/v1/prompts/acme/support/versions/1.0.0/render"
    rendered = client.post(path, json={"variables": {"who": "world"}})
    assert rendered.status_code == 200
    assert rendered.json() == {"text": "Hello world!"}
    problem(client.post(path, json={"variables": {}}), 422, "invalid_variables", "variables.who")
    problem(client.post(path, json={"variables": {"who": "x"}, "extra": 1}), 422, "invalid_parameter", "extra")
    problem(client.post("/v1/prompts/acme/support/versions/2.0.0/render", json={}), 404, "version_not_found", None)


def test_events_feed_filters_and_cursor(client: httpx.Client) -> None:
    register(client, model())
    register(client, model(version="1.1.0"))
    client.put("/v1/models/acme/llama-ft/aliases/production", json={"version": "1.0.0"})
    feed = client.get("/v1/events", params={"limit": 2}).json()
    assert [e["type"] for e in feed["items"]] == ["asset.registered", "asset.registered"]
    assert feed["items"][0]["actor"] == ACTOR
    more = client.get("/v1/events", params={"after": feed["next_cursor"]}).json()
    assert [e["type"] for e in more["items"]] == ["alias.moved"]
    assert client.get("/v1/events", params={"after": more["next_cursor"]}).json() == {
        "items": [], "next_cursor": more["next_cursor"]}
    by_type = client.get("/v1/events", params=[("type", "alias.moved"), ("type", "asset.yanked")]).json()
    assert [e["subject"] for e in by_type["items"]] == ["model:acme/llama-ft@production"]
    by_subject = client.get("/v1/events", params={"subject": "model:acme/llama-ft@1.1.0"}).json()
    assert len(by_subject["items"]) == 1
    assert client.get("/v1/events", params={"actor": "nobody"}).json()["items"] == []
    problem(client.get("/v1/events", params={"after": "abc"}), 422, "invalid_cursor", "after")
    problem(client.get("/v1/events", params={"wait": 600}), 422, "invalid_parameter", "wait")


def test_events_long_poll_returns_when_an_event_arrives(client: httpx.Client) -> None:
    start = client.get("/v1/events").json()["next_cursor"]
    started = time.monotonic()
    empty = client.get("/v1/events", params={"after": start, "wait": 0.3}).json()
    assert empty["items"] == []
    assert 0.25 <= time.monotonic() - started < 5

    def later() -> None:
        time.sleep(0.4)
        register(client, model())

    writer = threading.Thread(target=later)
    writer.start()
    started = time.monotonic()
    waited = client.get("/v1/events", params={"after": start, "wait": 10}).json()
    writer.join()
    assert [e["type"] for e in waited["items"]] == ["asset.registered"]
    assert time.monotonic() - started < 5


def test_health_and_ready(client: httpx.Client, backend: str) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert (ready["status"], ready["backend"]) == ("ready", backend)
    assert ready["schema_revision"]


def test_the_service_judges_the_document_as_sent(client: httpx.Client) -> None:
    # Rules beyond the JSON schema (here: no NUL, which PostgreSQL text cannot hold) apply
    # over REST exactly as embedded, on every backend.
    refused = client.post("/v1/models", json=model(labels={"description": "nul \x00 inside"}))
    problem(refused, 422, "invalid_manifest", "labels.description")
    assert client.get("/v1/events").json()["items"] == []


def test_reads_run_inline_only_on_sqlite(app: FastAPI, backend: str) -> None:
    assert app.state.service_threads.inline_reads is (backend == "sqlite")
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url=BASE_URL) as client:
        assert client.post("/v1/models", json=model()).status_code == 201
        assert client.get(VERSION).status_code == 200
        threads = app.state.service_threads
        assert threads.running is True  # the write ran on the fixed pool of settings.threads
        assert threads.threads == 8
    assert threads.running is False  # the app's shutdown stopped it
