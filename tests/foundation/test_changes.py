"""Changing versions on both backends: labels with history and "as of" reads, status transitions,
deletion and its dependents, aliases, prompt rendering. Refused changes write nothing.

Each test works in a namespace of its own in a registry shared by the module (``scope``)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from tests.foundation.conftest import Refuse, Scope, database_state, depends, inspector, make_refuse, model


@pytest.fixture
def base(scope: Scope) -> Scope:
    """``<namespace>/base`` at 1.0.0, 1.1.0 and 2.0.0-rc.1; ``events()`` starts after them."""
    for version in ("1.0.0", "1.1.0", "2.0.0-rc.1"):
        scope.registry.register(model(name=scope.name(), version=version, labels={
            "description": "first", "tags": ["a"], "annotations": {"team": "nlp"}}))
    scope.start = str(inspector(scope.registry).store.last_event_cursor())  # the tests look at their own events
    return scope


@pytest.fixture
def refuse_here(scope: Scope) -> Refuse:
    return make_refuse(scope.registry)


def types(scope: Scope) -> list[str]:
    return [e.type for e in scope.events()]


# ---------------------------------------------------------------- labels
def test_a_label_change_is_a_new_revision_with_history_and_as_of_reads(base: Scope) -> None:
    registry, ref = base.registry, base.ref()
    second = registry.label(ref, description="second", tags=["b"], untags=["a"], annotations={"team": None, "x": "1"})
    assert second.revision == 2
    assert second.labels.model_dump() == {"description": "second", "license": None, "tags": ["b"],
                                          "annotations": {"x": "1"}}
    third = registry.label(ref, license="mit", description="")
    assert (third.revision, third.labels.description, third.labels.license) == (3, None, "mit")
    history = registry.label_history(ref)
    assert [h.revision for h in history] == [1, 2, 3]
    assert [h.labels.description for h in history] == ["first", "second", None]
    assert all(h.created_by == "tester" for h in history)
    assert [h.created_at for h in history] == sorted(h.created_at for h in history)
    # "as of" a revision's own time reads that revision; later, the one in force then.
    for revision in history:
        assert registry.get(ref, as_of=revision.created_at).labels == revision.labels
    as_offset = datetime.fromisoformat(history[1].created_at.replace("Z", "+00:00")).astimezone(
        timezone(timedelta(hours=2)))
    assert registry.get(ref, as_of=as_offset.isoformat()).labels == history[1].labels
    assert registry.get(ref).labels == history[2].labels
    assert registry.get(ref).revision == 3
    assert registry.get(ref).digest == registry.get(ref, as_of=history[0].created_at).digest  # immutable
    assert types(base) == ["asset.labels_updated", "asset.labels_updated"]


def test_set_tags_replaces_the_list(base: Scope) -> None:
    registry = base.registry
    changed = registry.label(base.ref(), set_tags=["x", "y"], tags=["z"], untags=["x"])
    assert changed.labels.tags == ["y", "z"]
    assert registry.label(base.ref(), set_tags=[]).labels.tags == []
    assert [e.payload["after"]["tags"] for e in base.events(type=["asset.labels_updated"])] == [["y", "z"], []]


def test_as_of_before_the_version_existed_is_not_found(base: Scope) -> None:
    created = datetime.fromisoformat(base.registry.get(base.ref()).created_at.replace("Z", "+00:00"))
    with pytest.raises(NotFoundError) as info:
        base.registry.get(base.ref(), as_of=(created - timedelta(seconds=1)).isoformat())
    assert (info.value.code, info.value.field) == ("version_not_found", "as_of")


def test_as_of_that_is_not_a_time_is_refused(base: Scope, refuse_here: Refuse) -> None:
    refuse_here(functools.partial(base.registry.get, base.ref(), as_of="yesterday"), ValidationError,
                "invalid_parameter", "as_of")


def test_a_label_change_that_changes_nothing_makes_no_revision_and_no_event(base: Scope) -> None:
    state = database_state(base.registry)
    document = base.registry.label(base.ref(), description="first", tags=["a"], annotations={"team": "nlp"})
    assert document.revision == 1
    assert database_state(base.registry) == state


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"tags": ["Not Valid"]}, "labels.tags"), ({"license": "not a licence!"}, "labels.license"),
     ({"annotations": {"bad key!": "v"}}, "labels.annotations"), ({"description": "x" * 10_001}, "labels.description")],
)
def test_invalid_labels_are_refused(base: Scope, refuse_here: Refuse, kwargs: dict[str, object], field: str) -> None:
    refuse_here(functools.partial(base.registry.label, base.ref(), **kwargs), ValidationError, "invalid_manifest",
                field)


def test_labels_of_a_missing_version_are_not_found(base: Scope, refuse_here: Refuse) -> None:
    refuse_here(functools.partial(base.registry.label, base.ref("9.0.0"), tags=["x"]), NotFoundError,
                "version_not_found", None)


# ---------------------------------------------------------------- status
def test_deprecate_yank_restore(base: Scope) -> None:
    registry, ref = base.registry, base.ref("1.1.0")
    deprecated = registry.deprecate(ref, message="use 2", replacement=f"{base.asset()}@^2")
    assert (deprecated.status.value, deprecated.status_message) == ("deprecated", "use 2")
    assert deprecated.replacement == f"{base.asset()}@^2"
    assert registry.resolve(f"{base.asset()}@^1").version == "1.1.0"  # ranges still choose a deprecated version
    assert registry.resolve(base.asset()).version == "1.0.0"  # latest is the highest *active* release

    yanked = registry.yank(ref, reason="bad weights")
    assert (yanked.status.value, yanked.status_message) == ("yanked", "bad weights")
    assert registry.resolve(f"{base.asset()}@^1").version == "1.0.0"
    assert registry.get(ref).status.value == "yanked"  # still fetchable exactly

    restored = registry.restore(ref)
    assert (restored.status.value, restored.status_message, restored.replacement) == ("active", None, None)
    assert registry.resolve(base.asset()).version == "1.1.0"
    assert types(base) == ["asset.deprecated", "asset.yanked", "asset.restored"]


def test_a_replacement_in_the_default_namespace_is_written_in_full(registry: EmbeddedRegistry) -> None:
    registry.register(model(name="base"))
    assert registry.deprecate("model:base@1.0.0", replacement="model:base@^2").replacement == "model:default/base@^2"


def test_yank_from_active_and_restore_from_deprecated(base: Scope) -> None:
    registry, ref = base.registry, base.ref()
    assert registry.yank(ref).status.value == "yanked"
    assert registry.restore(ref).status.value == "active"
    assert registry.deprecate(ref).status.value == "deprecated"
    assert registry.restore(ref).status.value == "active"


def test_deprecating_again_with_the_same_message_changes_nothing(base: Scope) -> None:
    registry, ref = base.registry, base.ref()
    registry.deprecate(ref, message="old")
    state = database_state(registry)
    assert registry.deprecate(ref, message="old").status_message == "old"
    assert database_state(registry) == state
    assert registry.deprecate(ref, message="older").status_message == "older"
    assert types(base) == ["asset.deprecated", "asset.deprecated"]


@pytest.mark.parametrize(
    ("setup", "change"),
    [((), "restore"), (("yank",), "yank"), (("yank",), "deprecate")],
    ids=["restore-active", "yank-yanked", "deprecate-yanked"],
)
def test_invalid_status_changes_are_conflicts(base: Scope, refuse_here: Refuse, setup: tuple[str, ...],
                                              change: str) -> None:
    for step in setup:
        getattr(base.registry, step)(base.ref())
    error = refuse_here(functools.partial(getattr(base.registry, change), base.ref()), ConflictError,
                        "invalid_status_change", "status")
    assert "1.0.0" in error.message


def test_bad_status_change_arguments_are_refused(base: Scope, refuse_here: Refuse) -> None:
    registry = base.registry
    refuse_here(functools.partial(registry.deprecate, base.ref(), replacement="not a ref"), ValidationError,
                "invalid_reference", "replacement")
    refuse_here(functools.partial(registry.yank, base.ref(), reason="x" * 4097), ValidationError, "invalid_parameter",
                "reason")
    refuse_here(functools.partial(registry.deprecate, base.ref(), message="x" * 4097), ValidationError,
                "invalid_parameter", "message")
    refuse_here(functools.partial(registry.yank, base.ref("7.0.0")), NotFoundError, "version_not_found", None)


# ---------------------------------------------------------------- delete
@pytest.fixture
def with_dependent(base: Scope) -> Scope:
    base.registry.register(model(name=base.name("ft"), dependencies=[depends(f"{base.asset()}@^1.0", "derived_from")]))
    base.registry.set_alias(base.asset(), "production", "1.1.0")
    base.start = str(inspector(base.registry).store.last_event_cursor())
    return base


def test_delete_is_refused_while_another_version_pins_it(with_dependent: Scope, refuse_here: Refuse) -> None:
    error = refuse_here(functools.partial(with_dependent.registry.delete, with_dependent.ref("1.1.0")), ConflictError,
                        "has_dependents", "ref")
    dependent = with_dependent.ref("1.0.0", "ft")
    assert error.details["dependents"] == [dependent]
    assert dependent in error.message


def test_forced_delete_leaves_the_pins_as_text(with_dependent: Scope) -> None:
    registry, scope = with_dependent.registry, with_dependent
    pins_before = registry.get(scope.ref("1.0.0", "ft")).pins
    assert registry.delete(scope.ref("1.1.0"), force=True).version == "1.1.0"
    with pytest.raises(NotFoundError):
        registry.get(scope.ref("1.1.0"))
    assert registry.get(scope.ref("1.0.0", "ft")).pins == pins_before
    assert pins_before[0].version == "1.1.0"
    assert [a.name for a in registry.aliases(scope.asset())] == ["latest"]  # its alias went with it
    assert registry.resolve(scope.asset()).version == "1.0.0"
    assert registry.asset(scope.asset()).version_count == 2
    (event,) = scope.events(type=["asset.deleted"])
    assert (event.subject, event.payload["forced"], event.payload["dependents"], event.payload["aliases"]) == (
        scope.ref("1.1.0"), True, [scope.ref("1.0.0", "ft")], ["production"])


def test_delete_without_dependents_needs_no_force(base: Scope) -> None:
    base.registry.delete(base.ref("2.0.0-rc.1"))
    assert [v.version for v in base.registry.versions(base.asset()).items] == ["1.1.0", "1.0.0"]
    assert types(base) == ["asset.deleted"]


def test_delete_refreshes_the_asset_graph(scope: Scope) -> None:
    registry = scope.registry
    registry.register(model(name=scope.name("b")))
    registry.register(model(name=scope.name("a"), dependencies=[depends(scope.asset("b"))]))
    registry.delete(scope.ref("1.0.0", "a"))
    registry.register(model(name=scope.name("a"), version="2.0.0"))
    # a no longer depends on b, so b may now depend on a
    assert registry.register(model(name=scope.name("b"), version="2.0.0", dependencies=[depends(scope.asset("a"))]))


@pytest.mark.parametrize(("selector", "error", "code"), [
    ("@^1", ValidationError, "invalid_reference"),
    ("", ValidationError, "invalid_reference"),
    ("@9.9.9", NotFoundError, "version_not_found"),
    ("-nothing@1.0.0", NotFoundError, "asset_not_found"),
])
def test_delete_needs_an_existing_exact_version(base: Scope, refuse_here: Refuse, selector: str,
                                                error: type[ValidationError], code: str) -> None:
    refuse_here(functools.partial(base.registry.delete, base.asset() + selector), error, code,
                "ref" if error is ValidationError else None)


# --------------------------------------------------------------- aliases
def test_alias_set_move_list_remove(base: Scope) -> None:
    registry, asset = base.registry, base.asset()
    alias = registry.set_alias(asset, "production", "1.0.0")
    assert (alias.name, alias.version, alias.updated_by) == ("production", "1.0.0", "tester")
    assert registry.get(f"{asset}@production").version == "1.0.0"
    assert registry.set_alias(asset, "production", "1.1.0").version == "1.1.0"
    registry.set_alias(asset, "staging", "2.0.0-rc.1")
    listed = [(a.name, a.version, a.implicit) for a in registry.aliases(asset)]
    assert listed == [("latest", "1.1.0", True), ("production", "1.1.0", False), ("staging", "2.0.0-rc.1", False)]
    assert registry.get(base.ref("1.1.0")).aliases == ["production"]
    registry.remove_alias(asset, "production")
    assert [a.name for a in registry.aliases(asset)] == ["latest", "staging"]
    with pytest.raises(NotFoundError) as info:
        registry.get(f"{asset}@production")
    assert info.value.code == "alias_not_found"
    assert [(e.type, e.subject, e.payload["before"], e.payload["after"]) for e in base.events()] == [
        ("alias.moved", f"{asset}@production", None, "1.0.0"),
        ("alias.moved", f"{asset}@production", "1.0.0", "1.1.0"),
        ("alias.moved", f"{asset}@staging", None, "2.0.0-rc.1"),
        ("alias.removed", f"{asset}@production", "1.1.0", None)]


def test_setting_an_alias_to_where_it_points_changes_nothing(base: Scope) -> None:
    base.registry.set_alias(base.asset(), "production", "1.0.0")
    state = database_state(base.registry)
    assert base.registry.set_alias(base.asset(), "production", "1.0.0").version == "1.0.0"
    assert database_state(base.registry) == state


def test_implicit_latest_follows_new_releases_only(base: Scope) -> None:
    registry = base.registry
    registry.register(model(name=base.name(), version="3.0.0-beta"))
    assert registry.aliases(base.asset())[0].version == "1.1.0"
    registry.register(model(name=base.name(), version="1.2.0"))
    assert registry.aliases(base.asset())[0].version == "1.2.0"
    registry.register(model(name=base.name("pre"), version="1.0.0-rc.1"))
    assert registry.aliases(base.asset("pre")) == []


@pytest.mark.parametrize(
    ("alias", "version", "error", "code", "field"),
    [
        ("latest", "1.0.0", ValidationError, "invalid_alias", "alias"),
        ("Prod", "1.0.0", ValidationError, "invalid_alias", "alias"),
        ("x", "1.0.0", ValidationError, "invalid_alias", "alias"),
        ("1prod", "1.0.0", ValidationError, "invalid_alias", "alias"),
        ("prod", "1.0", ValidationError, "invalid_version", "version"),
        ("prod", "^1", ValidationError, "invalid_version", "version"),
        ("prod", "9.0.0", NotFoundError, "version_not_found", None),
    ],
)
def test_bad_alias_changes_are_refused(base: Scope, refuse_here: Refuse, alias: str, version: str,
                                       error: type[ValidationError], code: str, field: str | None) -> None:
    refuse_here(functools.partial(base.registry.set_alias, base.asset(), alias, version), error, code, field)


def test_an_alias_cannot_point_at_a_yanked_version(base: Scope, refuse_here: Refuse) -> None:
    base.registry.yank(base.ref())
    refuse_here(functools.partial(base.registry.set_alias, base.asset(), "production", "1.0.0"), ConflictError,
                "invalid_status_change", "version")


def test_removing_or_using_a_missing_alias_is_refused(base: Scope, refuse_here: Refuse) -> None:
    registry = base.registry
    refuse_here(functools.partial(registry.remove_alias, base.asset(), "production"), NotFoundError,
                "alias_not_found", None)
    refuse_here(functools.partial(registry.remove_alias, base.asset("nothing"), "production"), NotFoundError,
                "asset_not_found", None)
    refuse_here(functools.partial(registry.set_alias, base.ref(), "production", "1.0.0"), ValidationError,
                "invalid_reference", "ref")


# ---------------------------------------------------------------- render
@pytest.fixture(scope="module")
def prompts(module_registry: EmbeddedRegistry) -> EmbeddedRegistry:
    variables = {"type": "object", "required": ["question"],
                 "properties": {"question": {"type": "string"}, "product": {"type": "string", "default": "Acme"},
                                "items": {"type": "array", "items": {"type": "string"}}}}
    module_registry.register({"kind": "prompt", "name": "acme/text", "version": "1.0.0", "spec": {
        "template": "{{ product }}: {{ question }}{% for i in items or [] %} [{{ i }}]{% endfor %}",
        "variables": variables}})
    module_registry.register({"kind": "prompt", "name": "acme/chat", "version": "1.2.0", "spec": {
        "messages": [{"role": "system", "content": "You help with {{ product }}."},
                     {"role": "user", "content": "{{ question }}"}], "variables": variables}})
    module_registry.register(model(name="acme/text"))
    return module_registry


def test_render_text_and_messages(prompts: EmbeddedRegistry) -> None:
    assert prompts.render("prompt:acme/text@1.0.0", {"question": "why?", "items": ["a", "b"]}) == {
        "text": "Acme: why? [a] [b]"}
    assert prompts.render("prompt:acme/chat@^1", {"question": "how?", "product": "Zed"}) == {"messages": [
        {"role": "system", "content": "You help with Zed."}, {"role": "user", "content": "how?"}]}


@pytest.mark.parametrize(
    ("ref", "variables", "code", "field"),
    [
        ("prompt:acme/text", {}, "invalid_variables", "variables.question"),
        ("prompt:acme/text", {"question": 3}, "invalid_variables", "variables.question"),
        ("prompt:acme/text", {"question": "q", "items": "ab"}, "invalid_variables", "variables.items"),
        ("model:acme/text", {"question": "q"}, "not_a_prompt", "ref"),
    ],
)
def test_render_refuses_bad_variables_and_non_prompts(prompts: EmbeddedRegistry, ref: str,
                                                      variables: dict[str, object], code: str, field: str) -> None:
    make_refuse(prompts)(functools.partial(prompts.render, ref, variables), ValidationError, code, field)


def test_the_card_is_a_label_with_history_and_search(base: Scope) -> None:
    registry = base.registry
    registered = registry.register(model(name=base.name("carded"), labels={"card": "# Llama\nTrained on tikets."}))
    assert registered.labels.card == "# Llama\nTrained on tikets."
    ref = f"model:{base.name('carded')}@1.0.0"
    filt = f'namespace = "{base.namespace}"'
    assert [h.ref for h in registry.search("tikets", filter=filt).items] == [ref]
    fixed = registry.label(ref, card="# Llama\nTrained on tickets.")
    assert (fixed.labels.card, fixed.revision, fixed.digest) == ("# Llama\nTrained on tickets.", 2, registered.digest)
    assert [h.ref for h in registry.search("tickets", filter=filt).items] == [ref]
    assert registry.search("tikets", filter=filt).items == []
    assert [r.labels.card for r in registry.label_history(ref)] == ["# Llama\nTrained on tikets.",
                                                                     "# Llama\nTrained on tickets."]
    assert registry.label(ref, card="").labels.card is None
