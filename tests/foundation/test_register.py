"""Registration on both backends: every kind, pins, idempotency, conflicts, dependencies, cycles,
and bad input of every shape — each refused with its own code and field, writing nothing."""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from llm_registry.domain.digests import digest_of
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from tests.foundation.conftest import Refuse, Scope, database_state, depends, make_refuse, model

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64

SPECS: dict[str, dict[str, Any]] = {
    "model": {"architecture": "llama", "parameters": 8030000000, "context_length": 8192, "format": "safetensors",
              "training": {"epochs": 3}},
    "dataset": {"format": "jsonl", "rows": 120, "splits": {"train": {"rows": 100}, "test": {"rows": 20}}},
    "prompt": {"template": "Answer about {{ product }}: {{ question }}",
               "variables": {"type": "object", "required": ["question"],
                             "properties": {"product": {"type": "string", "default": "Acme"},
                                            "question": {"type": "string"}}}},
    "pipeline": {"steps": [{"name": "retrieve", "uses": "dataset:acme/kb@^2"}, {"name": "answer"}]},
    "policy": {"rules": [{"name": "licensed", "when": "asset.labels.license != ''", "effect": "deny"}]},
    "test_suite": {"cases": [{"input": "2+2?", "expected": "4"}], "scorers": [{"name": "exact", "threshold": 1}]},
}


# ------------------------------------------------------------------ kinds
@pytest.mark.parametrize("kind", list(SPECS))
def test_every_kind_registers_and_reads_back(scope: Scope, kind: str) -> None:
    registry = scope.registry
    manifest = {"kind": kind, "name": scope.name(kind.replace("_", "-")), "version": "1.0.0", "spec": SPECS[kind],
                "labels": {"description": "d", "license": "apache-2.0", "tags": ["x"], "annotations": {"team": "nlp"}}}
    document = registry.register(copy.deepcopy(manifest))
    assert (document.kind.value, document.name, document.version) == (kind, manifest["name"], "1.0.0")
    assert document.spec == SPECS[kind]  # the user's own fields (training, with …) are kept as given
    assert (document.status.value, document.revision, document.created_by) == ("active", 1, "tester")
    assert document.labels.model_dump() == manifest["labels"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", document.digest)
    assert registry.get(f"{kind}:{manifest['name']}@1.0.0") == document
    assert [(e.type, e.subject) for e in scope.events()] == [("asset.registered", f"{kind}:{manifest['name']}@1.0.0")]


def test_name_without_namespace_lands_in_the_default_namespace(scope: Scope) -> None:
    registry = scope.registry
    document = registry.register(model(name="solo"))
    assert document.name == "default/solo"
    assert registry.get("model:solo@1.0.0").id == registry.get("model:default/solo@1.0.0").id == document.id


def test_yaml_and_json_text_and_files_register(scope: Scope, tmp_path: Path) -> None:
    registry, name = scope.registry, scope.name("qa")
    yaml_doc = registry.register(f"kind: dataset\nname: {name}\nversion: 1.0.0\nspec: {{rows: 3}}\n")
    json_doc = registry.register(f'{{"kind": "dataset", "name": "{name}", "version": "1.1.0"}}')
    path = tmp_path / "m.yaml"
    path.write_text(f"kind: dataset\nname: {name}\nversion: 1.2.0\nspec: {{collected: 2024-01-02}}\n")
    file_doc = registry.register(path)
    assert [d.version for d in (yaml_doc, json_doc, file_doc)] == ["1.0.0", "1.1.0", "1.2.0"]
    assert file_doc.spec == {"collected": "2024-01-02"}  # a YAML date is kept as its ISO text


def test_content_digest_is_the_version_digest(scope: Scope) -> None:
    content = {"digest": DIGEST_A, "size": 10, "media_type": "application/octet-stream", "uri": "s3://b/k"}
    assert scope.registry.register(model(name=scope.name(), content=content)).digest == DIGEST_A


def test_multi_file_content_digest_is_the_digest_of_the_sorted_file_manifest(scope: Scope) -> None:
    files = [{"path": "b.bin", "digest": DIGEST_B, "size": 2}, {"path": "a.bin", "digest": DIGEST_A, "size": 1}]
    expected = digest_of(sorted(files, key=lambda f: f["path"]))
    assert scope.registry.register(model(name=scope.name(), content={"files": files})).digest == expected
    second = model(name=scope.name(), version="1.0.1", content={"files": files, "digest": expected})
    assert scope.registry.register(second).digest == expected


def test_a_claimed_digest_that_is_not_the_file_manifests_is_refused(scope: Scope) -> None:
    files = [{"path": "a.bin", "digest": DIGEST_A, "size": 1}]
    manifest = model(name=scope.name(), content={"files": files, "digest": DIGEST_B})
    make_refuse(scope.registry)(lambda: scope.registry.register(manifest), ValidationError, "invalid_digest",
                                "content.digest")


def test_without_content_the_digest_is_that_of_the_document(scope: Scope) -> None:
    one = scope.registry.register(model(name=scope.name(), version="1.0.0"))
    two = scope.registry.register(model(name=scope.name(), version="2.0.0"))
    assert one.digest != two.digest


# ------------------------------------------------------------------- pins
@pytest.fixture(scope="module")
def upstream(module_registry: EmbeddedRegistry) -> EmbeddedRegistry:
    """Shared by this module's tests; each writes only under names of its own."""
    registry = module_registry
    for version in ("1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"):
        registry.register(model(name="meta/llama", version=version))
    registry.yank("model:meta/llama@2.0.0")
    for version in ("2.1.0", "2.1.5", "2.2.0"):
        registry.register({"kind": "dataset", "name": "acme/tickets", "version": version})
    registry.set_alias("dataset:acme/tickets", "production", "2.1.0")
    registry.register(model(name="acme/base"))
    registry.register(model(name="acme/other"))
    for version in ("3.0.0+a", "4.0.0", "5.0.0-rc.1+x"):
        registry.register(model(name="acme/built", version=version))
    return registry


@pytest.fixture
def refuse_shared(upstream: EmbeddedRegistry) -> Refuse:
    return make_refuse(upstream)


@pytest.mark.parametrize(
    ("ref", "version"),
    [
        ("model:meta/llama@^1.0", "1.1.0"),
        ("model:meta/llama@>=1.0 <3", "1.1.0"),  # 2.0.0 is yanked, 1.2.0-rc.1 a prerelease
        ("model:meta/llama@^1.2.0-rc.1", "1.2.0-rc.1"),
        ("model:meta/llama@1.0.0", "1.0.0"),
        ("model:meta/llama@2.0.0", "2.0.0"),  # an exact version still pins a yanked one
        ("model:meta/llama", "1.1.0"),
        ("model:meta/llama@latest", "1.1.0"),
        ("dataset:acme/tickets@production", "2.1.0"),
        ("dataset:acme/tickets@~2.1", "2.1.5"),
    ],
)
def test_each_constraint_is_pinned_with_version_and_digest(upstream: EmbeddedRegistry, ref: str, version: str) -> None:
    target = upstream.get(f"{ref.split('@')[0]}@{version}")
    name = f"acme/ft-{digest_of(ref)[7:19]}"
    document = upstream.register(model(name=name, dependencies=[depends(ref, "derived_from")]))
    assert [(p.ref, p.relation.value, p.version, p.digest) for p in document.pins] == [
        (ref, "derived_from", version, target.digest)
    ]
    assert upstream.get(f"model:{name}@1.0.0").pins == document.pins


def test_a_digest_constraint_pins_the_version_with_that_digest(upstream: EmbeddedRegistry) -> None:
    target = upstream.get("model:meta/llama@1.0.0")
    document = upstream.register(model(name="acme/ft-digest",
                                       dependencies=[depends(f"model:meta/llama@{target.digest}")]))
    assert (document.pins[0].version, document.pins[0].digest) == ("1.0.0", target.digest)


def test_several_dependencies_pin_in_declaration_order(upstream: EmbeddedRegistry) -> None:
    deps = [depends("model:meta/llama@^1", "derived_from"), depends("dataset:acme/tickets@^2", "trained_on"),
            depends("dataset:acme/tickets@2.1.0", "evaluated_on")]
    document = upstream.register(model(name="acme/ft-several", dependencies=deps))
    assert [(p.relation.value, p.version) for p in document.pins] == [
        ("derived_from", "1.1.0"), ("trained_on", "2.2.0"), ("evaluated_on", "2.1.0")]
    assert [d.model_dump(mode="json") for d in document.dependencies] == deps


# ------------------------------------------------------------ idempotency
def test_registering_the_same_document_again_is_idempotent(scope: Scope) -> None:
    registry = scope.registry
    manifest = model(name=scope.name(), spec={"architecture": "llama", "nested": {"b": 1, "a": [1, 2]}},
                     content={"digest": DIGEST_A, "size": 3})
    first = registry.register(copy.deepcopy(manifest))
    state = database_state(registry)
    reordered = {**manifest, "spec": {"nested": {"a": [1, 2], "b": 1}, "architecture": "llama"}}
    assert registry.register(reordered) == first
    assert registry.register(copy.deepcopy(manifest)) == first
    assert database_state(registry) == state
    assert [e.subject for e in scope.events()] == [scope.ref()]


def test_the_default_namespace_is_recognised_by_either_spelling(scope: Scope) -> None:
    first = scope.registry.register(model(name="solo-two"))
    state = database_state(scope.registry)
    assert scope.registry.register(model(name="default/solo-two")) == first
    assert database_state(scope.registry) == state


def test_different_labels_are_not_a_conflict_and_change_nothing(scope: Scope) -> None:
    first = scope.registry.register(model(name=scope.name(), labels={"description": "one"}))
    state = database_state(scope.registry)
    # Labels are mutable (changed through `label`); a re-registration answers what is stored.
    assert scope.registry.register(model(name=scope.name(), labels={"description": "two"})) == first
    assert database_state(scope.registry) == state


@pytest.mark.parametrize(
    "change",
    [
        {"spec": {"architecture": "mistral"}},
        {"spec": {"architecture": "llama", "extra": 1}},
        {"content": {"digest": DIGEST_A}},
        {"dependencies": [depends("model:acme/other@1.0.0")]},
        {"provenance": {"builder": "ci"}},
        {"version": "1.0.0+build.2"},
    ],
    ids=["spec", "spec-extra", "content", "dependencies", "provenance", "build-metadata"],
)
def test_same_version_with_different_immutable_fields_is_a_version_conflict(
    upstream: EmbeddedRegistry, refuse_shared: Refuse, change: dict[str, Any]
) -> None:
    error = refuse_shared(lambda: upstream.register({**model(), **change}), ConflictError, "version_conflict",
                          "version")
    assert "model:acme/base@1.0.0" in error.message


@pytest.mark.parametrize(("first", "second"), [("3.0.0+a", "3.0.0+b"), ("4.0.0", "4.0.0+a"), ("3.0.0+a", "3.0.0"),
                                               ("5.0.0-rc.1+x", "5.0.0-rc.1+y")])
def test_versions_differing_only_in_build_metadata_conflict(
    upstream: EmbeddedRegistry, refuse_shared: Refuse, first: str, second: str
) -> None:
    refuse_shared(lambda: upstream.register(model(name="acme/built", version=second)), ConflictError,
                  "version_conflict", "version")
    assert upstream.get(f"model:acme/built@{second.split('+')[0]}").version == first


# ----------------------------------------------------------- dependencies
@pytest.mark.parametrize(
    "ref",
    ["model:nobody/nothing@^1", "model:meta/llama@^9", "model:meta/llama@3.0.0", "model:meta/llama@staging",
     f"model:meta/llama@{DIGEST_B}", "model:meta/llama@2.0.0+other", "dataset:meta/llama", "model:meta/llama@>=2.0.0"],
    ids=["asset", "range", "version", "alias", "digest", "build", "kind", "only-yanked"],
)
def test_a_dependency_that_matches_nothing_is_dependency_not_found(upstream: EmbeddedRegistry,
                                                                   refuse_shared: Refuse, ref: str) -> None:
    deps = [depends("model:meta/llama@^1"), depends(ref)]
    error = refuse_shared(lambda: upstream.register(model(name="acme/ft", dependencies=deps)), NotFoundError,
                   "dependency_not_found", "dependencies[1].ref")
    assert ref.split("@")[0].split(":")[1].split("/")[0] in error.message


def test_a_dependency_on_an_unregistered_namespace_default_is_not_found(scope: Scope) -> None:
    registry = scope.registry
    registry.register(model(name=scope.name("llama")))
    # "llama" is default/llama, not <namespace>/llama
    manifest = model(name=scope.name("ft"), dependencies=[depends("model:llama")])
    make_refuse(registry)(lambda: registry.register(manifest), NotFoundError, "dependency_not_found",
                          "dependencies[0].ref")


# ------------------------------------------------------------------ cycles
def test_a_version_depending_on_its_own_asset_is_a_cycle(scope: Scope) -> None:
    registry, a = scope.registry, scope.asset("a")
    registry.register(model(name=scope.name("a")))
    manifest = model(name=scope.name("a"), version="2.0.0", dependencies=[depends(f"{a}@^1")])
    error = make_refuse(registry)(lambda: registry.register(manifest), ValidationError, "dependency_cycle",
                                  "dependencies")
    assert f"{a} -> {a}" in error.message
    assert error.details["cycle"] == [a, a]


def test_a_two_cycle_is_refused_naming_it(scope: Scope) -> None:
    registry, a, b = scope.registry, scope.asset("a"), scope.asset("b", "dataset")
    registry.register(model(name=scope.name("a")))
    registry.register({"kind": "dataset", "name": scope.name("b"), "version": "1.0.0",
                       "dependencies": [depends(f"{a}@^1")]})
    manifest = model(name=scope.name("a"), version="1.1.0", dependencies=[depends(b)])
    error = make_refuse(registry)(lambda: registry.register(manifest), ValidationError, "dependency_cycle",
                                  "dependencies")
    assert error.details["cycle"] == [a, b, a]
    assert f"{a} -> {b} -> {a}" in error.message


def test_a_longer_cycle_is_refused_naming_every_asset_on_it(scope: Scope) -> None:
    registry, refuse = scope.registry, make_refuse(scope.registry)
    a, b, c, d = scope.asset("a"), scope.asset("b"), scope.asset("c", "prompt"), scope.asset("d", "pipeline")
    registry.register(model(name=scope.name("a")))
    registry.register(model(name=scope.name("b"), dependencies=[depends(a)]))
    registry.register({"kind": "prompt", "name": scope.name("c"), "version": "1.0.0", "spec": {"template": "hi"},
                       "dependencies": [depends(b)]})
    registry.register({"kind": "pipeline", "name": scope.name("d"), "version": "1.0.0",
                       "spec": {"steps": [{"name": "s"}]}, "dependencies": [depends(c)]})
    closing = model(name=scope.name("a"), version="2.0.0", dependencies=[depends(d)])
    error = refuse(lambda: registry.register(closing), ValidationError, "dependency_cycle", "dependencies")
    assert error.details["cycle"] == [a, d, c, b, a]
    # with a harmless dependency declared first, the cycle is still found
    both = model(name=scope.name("a"), version="2.0.0", dependencies=[depends(b), depends(d)])
    refuse(lambda: registry.register(both), ValidationError, "dependency_cycle", "dependencies")


def test_a_diamond_is_not_a_cycle(scope: Scope) -> None:
    registry, a = scope.registry, scope.asset("a")
    registry.register(model(name=scope.name("a")))
    registry.register(model(name=scope.name("b"), dependencies=[depends(a)]))
    registry.register(model(name=scope.name("c"), dependencies=[depends(a)]))
    document = registry.register(model(name=scope.name("d"), dependencies=[depends(scope.asset("b")),
                                                                           depends(scope.asset("c"))]))
    assert [p.version for p in document.pins] == ["1.0.0", "1.0.0"]
    # and a second version of a, depending on nothing, is still fine
    assert registry.register(model(name=scope.name("a"), version="1.1.0")).version == "1.1.0"


# --------------------------------------------------------------- bad input
BAD_MANIFESTS: list[tuple[str, Any, type[Exception], str, str | None]] = [
    ("kind-missing", {"name": "acme/x", "version": "1.0.0"}, ValidationError, "invalid_kind", "kind"),
    ("kind-unknown", {**model(name="acme/x"), "kind": "gizmo"}, ValidationError, "invalid_kind", "kind"),
    ("kind-plural", {**model(name="acme/x"), "kind": "models"}, ValidationError, "invalid_kind", "kind"),
    ("kind-typed", {**model(name="acme/x"), "kind": 3}, ValidationError, "invalid_kind", "kind"),
    ("name-missing", {"kind": "model", "version": "1.0.0"}, ValidationError, "invalid_name", "name"),
    ("name-upper", model(name="Acme/x"), ValidationError, "invalid_name", "name"),
    ("name-deep", model(name="a/b/c"), ValidationError, "invalid_name", "name"),
    ("name-long", model(name="acme/" + "x" * 65), ValidationError, "invalid_name", "name"),
    ("name-empty", model(name=""), ValidationError, "invalid_name", "name"),
    ("name-typed", model(name=["acme/x"]), ValidationError, "invalid_name", "name"),
    ("version-missing", {"kind": "model", "name": "acme/x"}, ValidationError, "invalid_version", "version"),
    ("version-partial", model(name="acme/x", version="1.0"), ValidationError, "invalid_version", "version"),
    ("version-v", model(name="acme/x", version="v1.0.0"), ValidationError, "invalid_version", "version"),
    ("version-zero", model(name="acme/x", version="01.0.0"), ValidationError, "invalid_version", "version"),
    ("version-pre-zero", model(name="acme/x", version="1.0.0-01"), ValidationError, "invalid_version", "version"),
    ("version-huge", model(name="acme/x", version="9223372036854775808.0.0"), ValidationError, "invalid_version",
     "version"),
    ("version-long", model(name="acme/x", version="1.0.0-" + "a" * 300), ValidationError, "invalid_version", "version"),
    ("version-typed", model(name="acme/x", version=1.0), ValidationError, "invalid_version", "version"),
    ("unknown-top", {**model(name="acme/x"), "status": "active"}, ValidationError, "unknown_field", "status"),
    ("unknown-content", model(name="acme/x", content={"sha": DIGEST_A}), ValidationError, "unknown_field",
     "content.sha"),
    ("unknown-dependency", model(name="acme/x", dependencies=[{**depends("model:acme/base"), "pin": "1"}]),
     ValidationError, "unknown_field", "dependencies[0].pin"),
    ("unknown-label", model(name="acme/x", labels={"colour": "red"}), ValidationError, "unknown_field",
     "labels.colour"),
    ("spec-typed-field", model(name="acme/x", spec={"parameters": "eight billion"}), ValidationError, "invalid_spec",
     "spec.parameters"),
    ("spec-bad-nested", {"kind": "policy", "name": "acme/p", "version": "1.0.0",
                         "spec": {"rules": [{"name": "r", "when": "x", "effect": "allow"}]}},
     ValidationError, "invalid_spec", "spec.rules[0].effect"),
    ("spec-required", {"kind": "policy", "name": "acme/p", "version": "1.0.0", "spec": {}}, ValidationError,
     "invalid_spec", "spec.rules"),
    ("prompt-undeclared", {"kind": "prompt", "name": "acme/p", "version": "1.0.0",
                           "spec": {"template": "{{ who }}", "variables": {"type": "object", "properties": {}}}},
     ValidationError, "invalid_template", "spec.template"),
    ("prompt-both", {"kind": "prompt", "name": "acme/p", "version": "1.0.0",
                     "spec": {"template": "x", "messages": [{"role": "user", "content": "x"}]}},
     ValidationError, "invalid_spec", "spec"),
    ("deps-typed", model(name="acme/x", dependencies={"ref": "model:acme/base"}), ValidationError,
     "invalid_manifest", "dependencies"),
    ("deps-relation-missing", model(name="acme/x", dependencies=[{"ref": "model:acme/base"}]), ValidationError,
     "invalid_manifest", "dependencies[0].relation"),
    ("deps-relation-unknown", model(name="acme/x", dependencies=[depends("model:acme/base", "inspired_by")]),
     ValidationError, "invalid_manifest", "dependencies[0].relation"),
    ("deps-too-many", model(name="acme/x", dependencies=[depends("model:acme/base")] * 257), ValidationError,
     "invalid_manifest", "dependencies"),
    ("dep-ref-shape", model(name="acme/x", dependencies=[depends("model:acme/base"), depends("acme/base")]),
     ValidationError, "invalid_reference", "dependencies[1].ref"),
    ("dep-ref-selector", model(name="acme/x", dependencies=[depends("model:acme/base@!!")]), ValidationError,
     "invalid_reference", "dependencies[0].ref"),
    ("dep-ref-kind", model(name="acme/x", dependencies=[depends("gizmo:acme/base")]), ValidationError,
     "invalid_kind", "dependencies[0].ref"),
    ("dep-ref-name", model(name="acme/x", dependencies=[depends("model:Acme/base")]), ValidationError,
     "invalid_name", "dependencies[0].ref"),
    ("dep-ref-digest", model(name="acme/x", dependencies=[depends("model:acme/base@sha256:12")]), ValidationError,
     "invalid_digest", "dependencies[0].ref"),
    ("dep-ref-empty", model(name="acme/x", dependencies=[depends("")]), ValidationError, "invalid_manifest",
     "dependencies[0].ref"),
    ("label-tag", model(name="acme/x", labels={"tags": ["Not A Tag"]}), ValidationError, "invalid_manifest",
     "labels.tags"),
    ("label-license", model(name="acme/x", labels={"license": "free as in beer!"}), ValidationError,
     "invalid_manifest", "labels.license"),
    ("label-annotation", model(name="acme/x", labels={"annotations": {"team": 7}}), ValidationError,
     "invalid_manifest", "labels.annotations.team"),
    ("content-digest", model(name="acme/x", content={"digest": "md5:abc"}), ValidationError, "invalid_manifest",
     "content.digest"),
    ("content-uri", model(name="acme/x", content={"uri": "ftp://host/x"}), ValidationError, "invalid_manifest",
     "content.uri"),
    ("content-size", model(name="acme/x", content={"size": -1}), ValidationError, "invalid_manifest", "content.size"),
    ("content-file", model(name="acme/x", content={"files": [{"path": "a", "digest": DIGEST_A}]}), ValidationError,
     "invalid_manifest", "content.files[0].size"),
    ("provenance-typed", model(name="acme/x", provenance="slsa"), ValidationError, "invalid_manifest", "provenance"),
    ("not-a-mapping", ["kind", "model"], ValidationError, "invalid_manifest", None),
    ("yaml-malformed", "kind: model\nname: [acme/x\n", ValidationError, "invalid_manifest", None),
    ("json-malformed", '{"kind": "model", "name": ', ValidationError, "invalid_manifest", None),
    ("yaml-list", "- kind: model\n", ValidationError, "invalid_manifest", None),
    ("yaml-scalar", "model", ValidationError, "invalid_manifest", None),
    ("yaml-empty", "", ValidationError, "invalid_manifest", None),
    ("yaml-typed-version", "kind: model\nname: acme/x\nversion: 1.0\n", ValidationError, "invalid_version", "version"),
]


@pytest.mark.parametrize(("manifest", "error", "code", "field"), [case[1:] for case in BAD_MANIFESTS],
                         ids=[case[0] for case in BAD_MANIFESTS])
def test_bad_input_is_refused_with_its_code_and_field_and_writes_nothing(
    upstream: EmbeddedRegistry, refuse_shared: Refuse, manifest: Any, error: type[ValidationError], code: str,
    field: str | None,
) -> None:
    refuse_shared(lambda: upstream.register(copy.deepcopy(manifest)), error, code, field)


def test_a_manifest_file_that_does_not_exist_is_invalid_manifest(upstream: EmbeddedRegistry,
                                                                 refuse_shared: Refuse, tmp_path: Path) -> None:
    refuse_shared(lambda: upstream.register(tmp_path / "absent.yaml"), ValidationError, "invalid_manifest", "manifest")


def test_a_spec_that_is_not_an_object_is_invalid_spec(upstream: EmbeddedRegistry, refuse_shared: Refuse) -> None:
    refuse_shared(lambda: upstream.register(model(name="acme/spec-text", spec="llama")), ValidationError,
                  "invalid_spec", "spec")


NOT_JSON: list[tuple[str, Any, str]] = [
    ("yaml-binary", "kind: model\nname: acme/nj-bin\nversion: 1.0.0\nspec:\n  blob: !!binary aGVsbG8=\n", "spec.blob"),
    ("yaml-set", "kind: model\nname: acme/nj-set\nversion: 1.0.0\nspec:\n  s: !!set {a, b}\n", "spec.s"),
    ("yaml-nan", "kind: model\nname: acme/nj-nan\nversion: 1.0.0\nspec:\n  x: .nan\n", "spec.x"),
    ("python-bytes", model(name="acme/nj-bytes", provenance={"sig": b"\x00"}), "provenance.sig"),
    ("python-int-key", model(name="acme/nj-key", spec={"nested": {1: "a"}}), "spec.nested"),
    ("huge-int", model(name="acme/nj-int", spec={"n": 2**70}), "spec.n"),
    ("lone-surrogate", model(name="acme/nj-surrogate", spec={"card": "\ud800"}), "spec.card"),
]


@pytest.mark.parametrize(("manifest", "field"), [case[1:] for case in NOT_JSON], ids=[case[0] for case in NOT_JSON])
def test_values_json_cannot_hold_are_refused_naming_the_field(
    upstream: EmbeddedRegistry, refuse_shared: Refuse, manifest: Any, field: str
) -> None:
    error = refuse_shared(lambda: upstream.register(copy.deepcopy(manifest)), ValidationError, "invalid_spec"
                   if field.startswith("spec") else "invalid_manifest", field)
    assert error.field == field


@pytest.mark.parametrize(("manifest", "code", "field"), [
    (model(name="acme/nul-label", labels={"description": "a\x00b"}), "invalid_manifest", "labels.description"),
    (model(name="acme/nul-spec", spec={"card": "a\x00b"}), "invalid_spec", "spec.card"),
], ids=["label", "spec"])
def test_a_nul_character_is_refused_on_every_backend(upstream: EmbeddedRegistry, refuse_shared: Refuse, manifest: Any,
                                                     code: str, field: str) -> None:
    refuse_shared(lambda: upstream.register(copy.deepcopy(manifest)), ValidationError, code, field)


def test_a_dependency_with_a_broken_hyphen_range_is_invalid_reference(upstream: EmbeddedRegistry,
                                                                      refuse_shared: Refuse) -> None:
    manifest = model(name="acme/hyphen", dependencies=[depends("model:acme/base@1 - abc")])
    refuse_shared(lambda: upstream.register(manifest), ValidationError, "invalid_reference", "dependencies[0].ref")


# ------------------------------------------------------- documents from files
def test_a_string_naming_a_document_file_is_read_as_that_file(registry: EmbeddedRegistry, tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("kind: model\nname: acme/from-file\nversion: 1.0.0\nspec: {architecture: llama}\n")
    assert registry.register(str(path)).ref == "model:acme/from-file@1.0.0"
    # Text with a newline is a document, whatever it ends with.
    assert registry.register("kind: model\nname: acme/inline\nversion: 1.0.0\n# x.yaml").ref == \
        "model:acme/inline@1.0.0"
    with pytest.raises(ValidationError) as missing:
        registry.register(str(tmp_path / "absent.yml"))
    assert (missing.value.code, missing.value.field) == ("invalid_manifest", "manifest")


def test_files_are_described_by_the_python_api(registry: EmbeddedRegistry, tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    shard = tmp_path / "weights" / "model.safetensors"
    shard.write_bytes(b"\x00" * 1000)
    registered = registry.register(model("acme/with-files"), files=[shard], files_root=tmp_path)
    assert registered.content is not None
    assert [(f.path, f.size) for f in registered.content.files] == [("weights/model.safetensors", 1000)]
    shard_digest = "sha256:" + hashlib.sha256(b"\x00" * 1000).hexdigest()
    assert registered.digest == digest_of([{"path": "weights/model.safetensors", "digest": shard_digest,
                                            "size": 1000}])
