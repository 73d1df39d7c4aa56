"""The change feed on both backends: every change type, in order, with before/after payloads;
filters by type, subject and actor; cursor continuation."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ValidationError
from llm_registry.events.models import Event
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from tests.foundation.conftest import depends, inspector, make_refuse, model


@pytest.fixture(scope="module")
def feed(module_registry: EmbeddedRegistry) -> tuple[EmbeddedRegistry, list[Event]]:
    """One change of every type, by two actors, on two assets; the module's tests read it."""
    registry = module_registry
    registry.register(model(version="1.0.0"))
    registry.register(model(version="1.1.0"))
    registry.label("model:acme/base@1.0.0", description="hello", tags=["t"])
    registry.deprecate("model:acme/base@1.0.0", message="old", replacement="model:acme/base@1.1.0")
    registry.yank("model:acme/base@1.0.0", reason="bad")
    registry.restore("model:acme/base@1.0.0")
    registry.set_alias("model:acme/base", "production", "1.0.0")
    registry.set_alias("model:acme/base", "production", "1.1.0")
    registry.remove_alias("model:acme/base", "production")
    # Another actor, embedded on the same database (a remote registry's actor is the server's).
    with Registry.open(inspector(registry).location, settings=Settings(), actor="bob") as bob:
        bob.register({"kind": "dataset", "name": "acme/qa", "version": "1.0.0",
                      "dependencies": [depends("model:acme/base@^1")]})
    registry.delete("model:acme/base@1.0.0", force=True)
    return registry, registry.events(limit=1000).items


@pytest.fixture
def registry(feed: tuple[EmbeddedRegistry, list[Event]]) -> EmbeddedRegistry:
    return feed[0]


@pytest.fixture
def history(feed: tuple[EmbeddedRegistry, list[Event]]) -> list[Event]:
    return feed[1]


def upto(history: list[Event], items: list[Event]) -> list[Event]:
    """The events of ``items`` that belong to the fixture's history (a test may have added some)."""
    last = int(history[-1].cursor)
    return [e for e in items if int(e.cursor) <= last]


EXPECTED = [
    ("asset.registered", "model:acme/base@1.0.0", "tester"),
    ("asset.registered", "model:acme/base@1.1.0", "tester"),
    ("asset.labels_updated", "model:acme/base@1.0.0", "tester"),
    ("asset.deprecated", "model:acme/base@1.0.0", "tester"),
    ("asset.yanked", "model:acme/base@1.0.0", "tester"),
    ("asset.restored", "model:acme/base@1.0.0", "tester"),
    ("alias.moved", "model:acme/base@production", "tester"),
    ("alias.moved", "model:acme/base@production", "tester"),
    ("alias.removed", "model:acme/base@production", "tester"),
    ("asset.registered", "dataset:acme/qa@1.0.0", "bob"),
    ("asset.deleted", "model:acme/base@1.0.0", "tester"),
]


def test_every_change_writes_its_event_in_order(history: list[Event]) -> None:
    assert [(e.type, e.subject, e.actor) for e in history] == EXPECTED
    cursors = [int(e.cursor) for e in history]
    assert cursors == sorted(cursors)
    assert len(set(cursors)) == len(cursors)
    assert len({e.id for e in history}) == len(history)
    assert [e.created_at for e in history] == sorted(e.created_at for e in history)


def test_payloads_say_what_changed(history: list[Event]) -> None:
    registered, _, labelled, deprecated, yanked, restored, moved, moved_again, removed, dataset, deleted = history
    assert registered.payload["version"] == "1.0.0"
    assert registered.payload["digest"].startswith("sha256:")
    assert [p["version"] for p in dataset.payload["after"]["pins"]] == ["1.1.0"]
    assert labelled.payload["before"]["description"] is None
    assert (labelled.payload["after"]["description"], labelled.payload["after"]["tags"]) == ("hello", ["t"])
    assert labelled.payload["revision"] == 2
    assert deprecated.payload == {
        "before": {"status": "active", "message": None, "replacement": None},
        "after": {"status": "deprecated", "message": "old", "replacement": "model:acme/base@1.1.0"},
    }
    assert (yanked.payload["before"]["status"], yanked.payload["after"]) == (
        "deprecated", {"status": "yanked", "message": "bad", "replacement": None})
    assert (restored.payload["before"]["status"], restored.payload["after"]["status"]) == ("yanked", "active")
    assert (moved.payload["before"], moved.payload["after"]) == (None, "1.0.0")
    assert (moved_again.payload["before"], moved_again.payload["after"]) == ("1.0.0", "1.1.0")
    assert (removed.payload["before"], removed.payload["after"]) == ("1.1.0", None)
    assert deleted.payload["before"]["status"] == "active"
    assert deleted.payload["before"]["labels"]["description"] == "hello"


def test_every_payload_has_before_and_after(history: list[Event]) -> None:
    assert [e.type for e in history if not {"before", "after"} <= e.payload.keys()] == []


def test_filter_by_type(registry: EmbeddedRegistry, history: list[Event]) -> None:
    picked = upto(history, registry.events(type=["asset.yanked", "alias.removed"]).items)
    assert [e.type for e in picked] == ["asset.yanked", "alias.removed"]
    assert picked == [e for e in history if e.type in ("asset.yanked", "alias.removed")]
    assert registry.events(type=["policy.denied"]).items == []  # shaped like a type: none yet


@pytest.mark.parametrize("bad", ["null", "", "asset", "Asset.Registered", "asset.registered;drop", "a" * 40 + ".x"])
def test_a_type_filter_not_shaped_like_an_event_type_is_refused(registry: EmbeddedRegistry, bad: str) -> None:
    with pytest.raises(ValidationError) as refused:
        registry.events(type=[bad])
    assert (refused.value.code, refused.value.field) == ("invalid_parameter", "type")


def test_filter_by_subject_asset_or_exact(registry: EmbeddedRegistry, history: list[Event]) -> None:
    # An asset follows its versions and its aliases; an exact reference only itself.
    assert upto(history, registry.events(subject="model:acme/base").items) == [
        e for e in history if e.subject.startswith("model:")]
    exact = upto(history, registry.events(subject="model:acme/base@1.1.0").items)
    assert [e.type for e in exact] == ["asset.registered"]
    assert [e.type for e in upto(history, registry.events(subject="model:acme/base@production").items)] == [
        "alias.moved", "alias.moved", "alias.removed"]
    assert [e.subject for e in upto(history, registry.events(subject="dataset:acme/qa").items)] == [
        "dataset:acme/qa@1.0.0"]


def test_filter_by_actor_and_combined(registry: EmbeddedRegistry, history: list[Event]) -> None:
    assert [e.subject for e in upto(history, registry.events(actor="bob").items)] == ["dataset:acme/qa@1.0.0"]
    assert len(upto(history, registry.events(actor="tester").items)) == len(history) - 1
    assert registry.events(actor="bob", type=["asset.deleted"]).items == []
    assert [e.type for e in upto(history, registry.events(actor="tester", subject="model:acme/base@1.0.0",
                                                          type=["asset.registered", "asset.deleted"]).items)] == [
        "asset.registered", "asset.deleted"]


def test_cursor_continuation_reads_everything_once(registry: EmbeddedRegistry, history: list[Event]) -> None:
    for limit in (1, 2, 4):
        read: list[Event] = []
        cursor = None
        for _ in range(1000):
            page = registry.events(after=cursor, limit=limit)
            read.extend(page.items)
            assert page.next_cursor is not None
            if not page.items:
                assert page.next_cursor == cursor
                break
            assert page.next_cursor == page.items[-1].cursor
            cursor = page.next_cursor
        assert upto(history, read) == history
    # a follower at the end sees the next change, and only it
    end = registry.events(after=history[-1].cursor, limit=1000).items
    last = end[-1].cursor if end else history[-1].cursor
    registry.register(model(name="acme/later", version="9.0.0"))
    assert [e.subject for e in registry.events(after=last).items] == ["model:acme/later@9.0.0"]
    # filters continue from a cursor too
    middle = history[4].cursor
    assert upto(history, registry.events(after=middle, type=["asset.registered"]).items) == [
        e for e in history[5:] if e.type == "asset.registered"]


def test_events_of_an_empty_registry(location: str) -> None:
    with Registry.open(location, settings=Settings(), actor="tester") as empty:
        page = empty.events()
    assert (page.items, page.next_cursor) == ([], "0")


@pytest.mark.parametrize(("kwargs", "code", "field"), [({"after": "abc"}, "invalid_cursor", "after"),
                                                       ({"after": "-1"}, "invalid_cursor", "after"),
                                                       ({"limit": 0}, "invalid_parameter", "limit")])
def test_bad_feed_parameters_are_refused(registry: EmbeddedRegistry, kwargs: dict[str, object], code: str,
                                         field: str) -> None:
    make_refuse(registry)(functools.partial(registry.events, **kwargs), ValidationError, code, field)


def test_an_event_cursor_beyond_64_bits_is_invalid_cursor(registry: EmbeddedRegistry) -> None:
    make_refuse(registry)(functools.partial(registry.events, after="9" * 30), ValidationError, "invalid_cursor",
                          "after")


def test_a_subject_in_the_default_namespace_can_be_written_short(registry: EmbeddedRegistry) -> None:
    registry.register(model(name="solo"))
    assert [e.subject for e in registry.events(subject="model:solo").items] == ["model:default/solo@1.0.0"]


# ---------------------------------------------------------------- long-poll
def test_a_wait_is_answered_by_the_next_event(registry: Registry) -> None:
    """``events(wait=)`` (the Python API's long-poll, ``GET /v1/events?wait=`` over HTTP) answers
    as soon as an event arrives, not when the wait is over."""
    start = str(inspector(registry).store.last_event_cursor())
    writer = inspector(registry)
    timer = threading.Timer(0.3, writer.register, [model("acme/waited")])
    began = time.monotonic()
    timer.start()
    try:
        page = registry.events(after=start, wait=20)
    finally:
        timer.join()
    assert [(e.type, e.subject) for e in page.items] == [("asset.registered", "model:acme/waited@1.0.0")]
    assert time.monotonic() - began < 20
    assert page.next_cursor == page.items[-1].cursor


def test_a_wait_with_nothing_new_answers_the_same_cursor(registry: Registry) -> None:
    start = str(inspector(registry).store.last_event_cursor())
    page = registry.events(after=start, wait=0.3)
    assert (page.items, page.next_cursor) == ([], start)


def test_a_negative_wait_is_refused(registry: Registry) -> None:
    with pytest.raises(ValidationError) as refused:
        registry.events(wait=-1)
    assert (refused.value.code, refused.value.field) == ("invalid_parameter", "wait")
