"""RemoteRegistry: the Python API over HTTP gives what the embedded registry gives, errors included."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import Request

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.domain.access import Actor
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import (
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RegistryError,
    StorageError,
    UnauthenticatedError,
    ValidationError,
)
from llm_registry.registry import Registry
from llm_registry.remote import RemoteRegistry, error_from_response
from llm_registry.settings import Settings
from tests.api.conftest import ACTOR, BASE_URL, model, prompt, server_settings


@pytest.fixture
def embedded(location: str, remote: RemoteRegistry) -> Iterator[EmbeddedRegistry]:
    """An embedded registry on the same database as the server (opened after the server)."""
    opened = Registry.open(location, settings=Settings.load(environ={}), actor=ACTOR)
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened


def test_open_http_location_gives_a_remote_registry() -> None:
    with Registry.open("http://127.0.0.1:9/", settings=Settings.load(environ={})) as registry:
        assert isinstance(registry, RemoteRegistry)
        assert registry.location == "http://127.0.0.1:9"


def test_remote_writes_read_back_the_same_embedded(remote: RemoteRegistry, embedded: EmbeddedRegistry) -> None:
    base = remote.register(model(name="acme/base"))
    assert remote.register(model(name="acme/base")) == base
    child = remote.register(model(name="acme/child", dependencies=[{"ref": "model:acme/base@^1", "relation":
                                                                     "derived_from"}]))
    assert child.pins[0].version == "1.0.0"
    remote.register(model(name="acme/base", version="1.1.0"))
    remote.register(prompt())

    assert remote.get("model:acme/base@1.0.0") == embedded.get("model:acme/base@1.0.0")
    assert remote.resolve("model:acme/base@^1") == embedded.resolve("model:acme/base@^1")
    assert remote.get("model:acme/base").version == "1.1.0"
    assert remote.asset("model:acme/base") == embedded.asset("model:acme/base")
    assert remote.assets() == embedded.assets()
    assert remote.assets(kind="prompt", limit=1) == embedded.assets(kind="prompt", limit=1)
    assert remote.versions("model:acme/base", limit=1) == embedded.versions("model:acme/base", limit=1)

    labelled = remote.label("model:acme/base@latest", description="d", license="mit", tags=["x"],
                            untags=["chat"], annotations={"team": None, "k": "v"})
    assert (labelled.version, labelled.revision) == ("1.1.0", 2)
    assert labelled == embedded.get("model:acme/base@1.1.0")
    assert remote.label_history("model:acme/base@1.1.0") == embedded.label_history("model:acme/base@1.1.0")

    assert remote.deprecate("model:acme/base@1.0.0", message="old", replacement="model:acme/base@1.1.0").status \
        == "deprecated"
    assert remote.yank("model:acme/base@1.0.0", reason="bad").status_message == "bad"
    assert remote.restore("model:acme/base@1.0.0") == embedded.get("model:acme/base@1.0.0")

    moved = remote.set_alias("model:acme/base", "production", "1.0.0")
    assert (moved.name, moved.version, moved.updated_by) == ("production", "1.0.0", ACTOR)
    assert remote.aliases("model:acme/base") == embedded.aliases("model:acme/base")
    remote.remove_alias("model:acme/base", "production")
    assert [a.name for a in remote.aliases("model:acme/base")] == ["latest"]

    assert remote.render("prompt:acme/support@^1", {"who": "you"}) == embedded.render("prompt:acme/support@1.0.0",
                                                                                       {"who": "you"})
    assert remote.events(limit=3) == embedded.events(limit=3)
    assert remote.events(after="2", type=["alias.moved"]) == embedded.events(after="2", type=["alias.moved"])
    assert remote.events(actor=ACTOR, subject="model:acme/child@1.0.0").items[0].type == "asset.registered"

    deleted = remote.delete("model:acme/base@1.0.0", force=True)
    assert deleted.version == "1.0.0"
    with pytest.raises(NotFoundError):
        embedded.get("model:acme/base@1.0.0")


def _outcome(action: Callable[[], Any]) -> tuple[type[RegistryError], str, str | None]:
    with pytest.raises(RegistryError) as info:
        action()
    return type(info.value), info.value.code, info.value.field


def test_remote_errors_are_the_embedded_errors(remote: RemoteRegistry, embedded: EmbeddedRegistry) -> None:
    embedded.register(model())
    embedded.register(model(name="acme/child", dependencies=[{"ref": "model:acme/llama-ft@1.0.0", "relation": "uses"}]))
    embedded.yank("model:acme/child@1.0.0")
    calls: list[Callable[[Registry], Any]] = [
        lambda r: r.get("model:acme/llama-ft@2.0.0"),
        lambda r: r.get("model:acme/nothing"),
        lambda r: r.get("nonsense"),
        lambda r: r.get("model:acme/llama-ft@1.0.0", as_of="2000-01-01T00:00:00Z"),
        lambda r: r.get("model:acme/llama-ft@1.0.0", as_of="soon"),
        lambda r: r.register(model(spec={"architecture": "other"})),
        lambda r: r.register({**model(), "surprise": True}),
        lambda r: r.register({"kind": "gadget", "name": "a/b", "version": "1.0.0"}),
        lambda r: r.register(model(name="UPPER")),
        lambda r: r.register(model(version="01.0.0")),
        lambda r: r.register(model(spec={"n": 10**30})),
        lambda r: r.register(model(labels={"description": "nul \x00"})),
        lambda r: r.register("kind: [unclosed"),
        lambda r: r.register(model(name="acme/x", dependencies=[{"ref": "model:acme/none@1", "relation": "uses"}])),
        lambda r: r.asset("model:acme/llama-ft@1.0.0"),
        lambda r: r.asset("model:acme/none"),
        lambda r: r.versions("model:acme/llama-ft", cursor="!!"),
        lambda r: r.versions("model:acme/llama-ft", limit=0),
        lambda r: r.assets(kind="gadget"),
        lambda r: r.delete("model:acme/llama-ft@1.0.0"),
        lambda r: r.delete("model:acme/llama-ft@^1"),
        lambda r: r.deprecate("model:acme/child@1.0.0"),
        lambda r: r.label("model:acme/llama-ft@1.0.0", tags=["Not A Tag"]),
        lambda r: r.set_alias("model:acme/llama-ft", "latest", "1.0.0"),
        lambda r: r.set_alias("model:acme/llama-ft", "prod", "9.0.0"),
        lambda r: r.set_alias("model:acme/child", "prod", "1.0.0"),
        lambda r: r.remove_alias("model:acme/llama-ft", "prod"),
        lambda r: r.render("model:acme/llama-ft@1.0.0", {}),
        lambda r: r.events(after="x"),
    ]
    for call in calls:
        assert _outcome(lambda c=call: c(remote)) == _outcome(lambda c=call: c(embedded))  # type: ignore[misc]


def test_bearer_token_and_user_agent_reach_the_server(location: str) -> None:
    seen: list[Request] = []

    async def authenticate(request: Request) -> Actor:
        seen.append(request)
        if request.headers.get("authorization") != "Bearer s3cret":
            raise UnauthenticatedError("no token")
        return Actor("robot")

    app = create_app(server_settings(location), authenticator=authenticate)
    transport = InProcessTransport(app)
    with RemoteRegistry(BASE_URL, settings=Settings.load(environ={}), token="s3cret", transport=transport) as registry:
        assert registry.register(model()).created_by == "robot"
    assert seen[0].headers["user-agent"].startswith("llm-registry")
    settings = Settings.load({"token": "wrong"}, environ={})
    with RemoteRegistry(BASE_URL, settings=settings, transport=InProcessTransport(create_app(
            server_settings(location), authenticator=authenticate))) as registry, pytest.raises(UnauthenticatedError):
        registry.get("model:acme/llama-ft@1.0.0")


def test_an_unreachable_server_is_storage_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.load({"request_timeout": 2.0}, environ={})
    with RemoteRegistry(f"http://127.0.0.1:{port}", settings=settings) as registry, pytest.raises(StorageError) as info:
        registry.get("model:acme/x@1.0.0")
    assert info.value.code == "storage_unavailable"


def _answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers, request=httpx.Request("GET", "http://x/"))


def test_error_from_response_by_code_then_by_status() -> None:
    known = error_from_response(_answer(409, b'{"code": "has_dependents", "detail": "pinned", "field": "ref",'
                                             b' "details": {"dependents": ["a"]}}'))
    assert isinstance(known, ConflictError)
    assert (known.code, known.message, known.field, known.details) == ("has_dependents", "pinned", "ref",
                                                                       {"dependents": ["a"]})
    limited = error_from_response(_answer(429, b'{"code": "rate_limited", "detail": "slow", "details": '
                                               b'{"retry_after": 3}}'))
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after == 3.0
    transport_level = error_from_response(_answer(415, b'{"code": "unsupported_media_type", "detail": "no"}'))
    assert isinstance(transport_level, ValidationError)
    assert transport_level.details == {"code": "unsupported_media_type"}
    not_json = error_from_response(_answer(502, b"<html>bad gateway</html>"))
    assert type(not_json) is RegistryError
    assert "502" in not_json.message
    missing = error_from_response(_answer(404, b"gone"))
    assert isinstance(missing, NotFoundError)


def test_remote_search_and_lineage_match_embedded(remote: RemoteRegistry, embedded: EmbeddedRegistry) -> None:
    remote.register({"kind": "dataset", "name": "acme/qa", "version": "1.0.0",
                     "labels": {"description": "questions and answers", "tags": ["qa"]}})
    remote.register(model(name="acme/base", dependencies=[{"ref": "dataset:acme/qa@^1", "relation": "trained_on"}]))
    assert remote.search("questions", facets=["kind", "tags"]) == embedded.search("questions", facets=["kind", "tags"])
    assert remote.search(kind="model", all_versions=True, limit=1) == embedded.search(kind="model", all_versions=True,
                                                                                     limit=1)
    assert remote.suggest("acme") == embedded.suggest("acme")
    ref = "model:acme/base@1.0.0"
    assert remote.lineage(ref, direction="up", depth=1, relations=["trained_on"]) == embedded.lineage(
        ref, direction="up", depth=1, relations=["trained_on"])
    assert remote.impact("dataset:acme/qa@1.0.0") == embedded.impact("dataset:acme/qa@1.0.0")
    lock = remote.lock(["model:acme/base"])
    assert lock.model_dump(exclude={"generated_at"}) == embedded.lock(["model:acme/base"]).model_dump(
        exclude={"generated_at"})
    assert remote.verify_lock(lock) == embedded.verify_lock(lock)
    assert remote.verify_lock(lock.model_dump(mode="json")).ok
    with pytest.raises(ValidationError) as info:
        remote.search(filter="kind = ")
    assert info.value.code == "invalid_filter"
