"""Batch registration (``register_many``): one transaction per batch with exactly the checks, pins,
search entries and events of single registrations; all or nothing by default; the good documents
committed and the others reported with ``continue_on_error``. Embedded on both backends and over
HTTP (``POST /v1/batch/register``)."""

from __future__ import annotations

import functools

import pytest
import sqlalchemy as sa

from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.storage.schema import asset_edges
from tests.foundation.conftest import Refuse, Scope, depends, inspector, make_refuse, model


@pytest.fixture
def refuse_here(scope: Scope) -> Refuse:
    return make_refuse(scope.registry)


def test_a_batch_registers_in_order_and_may_depend_on_itself(scope: Scope) -> None:
    registry = scope.registry
    documents = [
        model(scope.name("base"), "1.0.0"),
        model(scope.name("base"), "1.1.0"),
        model(scope.name("tuned"), "0.1.0", dependencies=[depends(f"model:{scope.name('base')}@^1.0",
                                                                  "derived_from")]),
    ]
    result = registry.register_many(documents, batch_size=2)
    assert (result.created, result.unchanged, result.failed) == (3, 0, 0)
    assert [(i.index, i.status, i.ref) for i in result.items] == [
        (0, "created", f"model:{scope.name('base')}@1.0.0"),
        (1, "created", f"model:{scope.name('base')}@1.1.0"),
        (2, "created", f"model:{scope.name('tuned')}@0.1.0"),
    ]
    tuned = registry.get(f"model:{scope.name('tuned')}@0.1.0")
    assert [(p.version, p.digest) for p in tuned.pins] == [
        ("1.1.0", registry.get(f"model:{scope.name('base')}@1.1.0").digest)]
    assert result.items[2].digest == tuned.digest
    # The events and search entries of three single registrations.
    assert [(e.type, e.subject) for e in scope.events()] == [
        ("asset.registered", item.ref) for item in result.items]
    assert {h.ref for h in registry.search(filter=f'namespace = "{scope.namespace}"', all_versions=True).items} \
        == {item.ref for item in result.items}
    assert registry.search(filter=f'namespace = "{scope.namespace}" AND name = "base"').items[0].version == "1.1.0"
    # The same documents again: identical, nothing new.
    again = registry.register_many(documents)
    assert (again.created, again.unchanged) == (0, 3)
    assert len(scope.events()) == 3


def test_a_failing_document_writes_nothing_of_its_batch(scope: Scope, refuse_here: Refuse) -> None:
    documents = [model(scope.name("a"), "1.0.0"), model(scope.name("b"), "1.0.0", spec={"parameters": "many"}),
                 model(scope.name("c"), "not-semver")]
    error = refuse_here(functools.partial(scope.registry.register_many, documents), ValidationError, "invalid_spec",
                        "documents[1].spec.parameters")
    assert "document 1" in error.message
    # Every document that fails its checks is listed, each with its own code and field.
    assert [(f["index"], f["error"]["code"], f["error"]["field"]) for f in error.details["failures"]] == [
        (1, "invalid_spec", "spec.parameters"), (2, "invalid_version", "version")]


def test_a_document_failing_in_the_database_rolls_back_the_batch(scope: Scope, refuse_here: Refuse) -> None:
    scope.registry.register(model(scope.name("a"), "1.0.0"))
    missing = [model(scope.name("b"), "1.0.0"),
               model(scope.name("c"), "1.0.0", dependencies=[depends(f"model:{scope.name('none')}@^1")])]
    refuse_here(functools.partial(scope.registry.register_many, missing), NotFoundError, "dependency_not_found",
                "documents[1].dependencies[0].ref")
    conflicting = [model(scope.name("b"), "1.0.0"), model(scope.name("a"), "1.0.0", spec={"architecture": "gpt"})]
    refuse_here(functools.partial(scope.registry.register_many, conflicting), ConflictError, "version_conflict",
                "documents[1].version")


def test_continue_on_error_commits_the_good_documents(scope: Scope) -> None:
    registry = scope.registry
    registry.register(model(scope.name("a"), "1.0.0"))
    before = len(scope.events())
    documents = [
        model(scope.name("b"), "1.0.0"),
        model(scope.name("a"), "1.0.0", spec={"architecture": "gpt"}),  # conflict in the database
        {"kind": "model", "name": scope.name("c")},  # no version
        model(scope.name("d"), "1.0.0", dependencies=[depends(f"model:{scope.name('none')}@^1")]),
        model(scope.name("e"), "1.0.0", dependencies=[depends(f"model:{scope.name('b')}@1.0.0")]),
    ]
    result = registry.register_many(documents, continue_on_error=True)
    assert [(i.status, (i.error or {}).get("code")) for i in result.items] == [
        ("created", None), ("failed", "version_conflict"), ("failed", "invalid_version"),
        ("failed", "dependency_not_found"), ("created", None)]
    assert (result.created, result.failed) == (2, 3)
    assert [e.subject for e in scope.events()[before:]] == [
        f"model:{scope.name('b')}@1.0.0", f"model:{scope.name('e')}@1.0.0"]
    assert registry.get(f"model:{scope.name('a')}@1.0.0").spec == {"architecture": "llama"}
    with pytest.raises(NotFoundError) as missing:
        registry.asset(f"model:{scope.name('d')}")
    assert missing.value.code == "asset_not_found"


def test_bad_batch_sizes_are_refused(scope: Scope, refuse_here: Refuse) -> None:
    for size in (0, 10_001):
        refuse_here(functools.partial(scope.registry.register_many, [model(scope.name())], batch_size=size),
                    ValidationError, "invalid_parameter", "batch_size")


def test_progress_is_told_after_each_batch(scope: Scope) -> None:
    seen: list[int] = []
    documents = [model(scope.name(f"p{i}")) for i in range(5)]
    scope.registry.register_many(documents, batch_size=2, progress=seen.append)
    assert seen == [2, 2, 1]


def test_a_range_chooses_among_the_versions_the_batch_added_so_far(scope: Scope) -> None:
    registry = scope.registry
    base, digest = scope.name("base"), "sha256:" + "ab" * 32
    documents = [
        model(base, "1.0.0"),
        model(scope.name("t1"), "1.0.0", dependencies=[depends(f"model:{base}@^1")]),
        model(base, "1.1.0", content={"digest": digest}),
        # The same constraint again, now choosing the version added in between.
        model(scope.name("t2"), "1.0.0", dependencies=[depends(f"model:{base}@^1")]),
        model(scope.name("t3"), "1.0.0", dependencies=[depends(f"model:{base}@1.0.0"),
                                                       depends(f"model:{base}@{digest[:19]}"),
                                                       depends(f"model:{base}@latest")]),
        model(base, "1.1.0", content={"digest": digest}),  # the same document again: unchanged
    ]
    result = registry.register_many(documents)
    assert [i.status for i in result.items] == ["created"] * 5 + ["unchanged"]
    pins = {short: [p.version for p in registry.get(f"model:{scope.name(short)}@1.0.0").pins]
            for short in ("t1", "t2", "t3")}
    assert pins == {"t1": ["1.0.0"], "t2": ["1.1.0"], "t3": ["1.0.0", "1.1.0", "1.1.0"]}
    assert registry.get(f"model:{base}@1.1.0").digest == digest == result.items[5].digest
    assert [e.subject for e in scope.events()] == [item.ref for item in result.items[:5]]
    assert registry.search(filter=f'namespace = "{scope.namespace}" AND name = "base"').items[0].version == "1.1.0"


def test_a_version_twice_in_a_batch_with_other_fields_conflicts(scope: Scope, refuse_here: Refuse) -> None:
    name = scope.name("twice")
    documents = [model(name, "1.0.0"), model(scope.name("other"), "1.0.0"), model(name, "1.0.0", spec={"x": 1})]
    refuse_here(functools.partial(scope.registry.register_many, documents), ConflictError, "version_conflict",
                "documents[2].version")


def test_a_cycle_closed_inside_a_batch_is_refused(scope: Scope, refuse_here: Refuse) -> None:
    a, b = scope.name("a"), scope.name("b")
    documents = [
        model(a, "1.0.0"),
        model(b, "1.0.0", dependencies=[depends(f"model:{a}@^1")]),
        model(a, "2.0.0", dependencies=[depends(f"model:{b}@^1")]),  # a -> b -> a
        model(scope.name("c"), "1.0.0"),
    ]
    error = refuse_here(functools.partial(scope.registry.register_many, documents), ValidationError,
                        "dependency_cycle", "documents[2].dependencies")
    assert "document 2" in error.message


def test_continue_on_error_drops_all_of_a_document_that_failed_after_writing(scope: Scope) -> None:
    # Checking the cycle makes the batch write what it holds; the failing document's own rows
    # (its version of a new asset) must go, the earlier ones stay.
    registry = scope.registry
    a, b = scope.name("a"), scope.name("b")
    documents = [
        model(a, "1.0.0"),
        model(b, "1.0.0", dependencies=[depends(f"model:{a}@^1")]),
        model(a, "1.5.0", dependencies=[depends(f"model:{b}@^1")]),  # a cycle: fails
        model(scope.name("c"), "1.0.0", dependencies=[depends(f"model:{a}@^1")]),
        model(scope.name("d"), "1.0.0", dependencies=[depends(f"model:{scope.name('new')}@^1")]),  # not found
        model(scope.name("e"), "1.0.0"),
    ]
    result = registry.register_many(documents, continue_on_error=True, batch_size=6)
    assert [(i.status, (i.error or {}).get("code"), (i.error or {}).get("field")) for i in result.items] == [
        ("created", None, None), ("created", None, None), ("failed", "dependency_cycle", "dependencies"),
        ("created", None, None), ("failed", "dependency_not_found", "dependencies[0].ref"), ("created", None, None)]
    assert [p.version for p in registry.get(f"model:{scope.name('c')}@1.0.0").pins] == ["1.0.0"]
    assert [v.version for v in registry.versions(f"model:{a}").items] == ["1.0.0"]
    assert [e.subject for e in scope.events()] == [result.items[i].ref for i in (0, 1, 3, 5)]
    assert {h.ref for h in registry.search(filter=f'namespace = "{scope.namespace}"', all_versions=True).items} \
        == {result.items[i].ref for i in (0, 1, 3, 5)}
    # The failed document's graph edge (a -> b) went with it.
    with inspector(registry).store.engine.connect() as connection:
        edges = connection.execute(sa.select(asset_edges.c.to_asset_id).where(
            asset_edges.c.from_asset_id == registry.asset(f"model:{a}").id)).all()
    assert edges == []
