"""Reading on both backends: get by version, range, alias, digest and latest; version and asset
lists in order with cursor pagination; an asset with thousands of versions."""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import pytest

from llm_registry.domain.cursors import encode_cursor
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.registry import Registry
from tests.foundation.conftest import Refuse, depends, make_refuse, model
from tests.foundation.semver_reference import semver_compare

# Deliberately registered out of order; 1.2.0 is yanked, 1.1.5 deprecated.
VERSIONS = ["1.1.0", "1.0.0", "1.2.0", "1.3.0-beta.1", "2.0.0-rc.2", "1.1.5", "2.0.0-rc.1", "0.9.0", "1.0.1+build.3",
            "2.0.0-rc.10"]


@pytest.fixture(scope="module")
def llama(module_registry: EmbeddedRegistry) -> EmbeddedRegistry:
    registry = module_registry
    for version in VERSIONS:
        registry.register(model(name="meta/llama", version=version))
    registry.yank("model:meta/llama@1.2.0", reason="broken weights")
    registry.deprecate("model:meta/llama@1.1.5", message="use 1.1.0")
    registry.set_alias("model:meta/llama", "production", "1.0.0")
    for version in ("1.0.0-alpha", "1.0.0-beta"):
        registry.register(model(name="meta/pre", version=version))
    registry.register(model(name="meta/gone", version="1.0.0"))
    registry.yank("model:meta/gone@1.0.0")
    return registry


@pytest.fixture
def refuse_here(llama: EmbeddedRegistry) -> Refuse:
    return make_refuse(llama)


@pytest.mark.parametrize(
    ("selector", "version"),
    [
        ("1.0.0", "1.0.0"),
        ("1.2.0", "1.2.0"),  # an exact version reaches a yanked one
        ("1.3.0-beta.1", "1.3.0-beta.1"),
        ("1.0.1", "1.0.1+build.3"),  # build metadata is not part of identity
        ("1.0.1+build.3", "1.0.1+build.3"),
        ("^1", "1.1.5"),  # 1.2.0 yanked, 1.3.0-beta.1 a prerelease, 1.1.5 deprecated but choosable
        ("^1.0.0", "1.1.5"),
        ("~1.0", "1.0.1+build.3"),
        ("1.x", "1.1.5"),
        ("1.1", "1.1.5"),
        ("*", "1.1.5"),
        ("x", "1.1.5"),
        (">=1.0 <1.1", "1.0.1+build.3"),
        ("1.0.0 - 1.1.0", "1.1.0"),
        ("<1", "0.9.0"),
        ("^0.9 || ^1.0.0 <1.1", "1.0.1+build.3"),
        (">=1.2.0", None),  # above 1.1.5 there are only a yanked version and prereleases
        (">=2.0.0-rc.1", "2.0.0-rc.10"),  # named prerelease: numeric identifiers by value
        ("~2.0.0-rc.1", "2.0.0-rc.10"),
        ("^1.3.0-beta.1", "1.3.0-beta.1"),
        ("production", "1.0.0"),
        ("latest", "1.1.0"),  # the highest *active* release: 1.1.5 is deprecated, 1.2.0 yanked
        ("", "1.1.0"),
    ],
)
def test_a_reference_chooses_the_version_section_2_says(llama: EmbeddedRegistry, selector: str,
                                                        version: str | None) -> None:
    ref = "model:meta/llama" + (f"@{selector}" if selector else "")
    if version is None:
        with pytest.raises(NotFoundError) as info:
            llama.resolve(ref)
        assert info.value.code == "version_not_found"
        return
    assert llama.get(ref).version == version
    assert llama.resolve(ref).version == version


@pytest.mark.parametrize("selector", ["2.0.0-rc.1 - 2.0.0-rc.2", ">=2.0.0-rc.1 <=2.0.0-rc.2",
                                      ">2.0.0-rc.0 <2.0.0-rc.3"])
def test_a_range_between_two_prereleases_chooses_within_it(llama: EmbeddedRegistry, selector: str) -> None:
    assert llama.resolve(f"model:meta/llama@{selector}").version == "2.0.0-rc.2"


def test_get_by_digest(llama: EmbeddedRegistry) -> None:
    target = llama.get("model:meta/llama@1.1.0")
    assert llama.get(f"model:meta/llama@{target.digest}").id == target.id


def test_latest_needs_an_active_release(llama: EmbeddedRegistry) -> None:
    for ref in ("model:meta/pre", "model:meta/gone", "model:meta/pre@latest"):
        with pytest.raises(NotFoundError) as info:
            llama.get(ref)
        assert info.value.code == "version_not_found"
    assert llama.get("model:meta/pre@>=1.0.0-alpha").version == "1.0.0-beta"


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        ("model:meta/nothing", "asset_not_found"),
        ("model:meta/nothing@1.0.0", "asset_not_found"),
        ("dataset:meta/llama@1.0.0", "asset_not_found"),
        ("model:meta/llama@9.9.9", "version_not_found"),
        ("model:meta/llama@1.0.1+build.4", "version_not_found"),
        ("model:meta/llama@^7", "version_not_found"),
        ("model:meta/llama@staging", "alias_not_found"),
        ("model:meta/llama@sha256:" + "0" * 64, "version_not_found"),
    ],
)
def test_a_miss_says_what_is_missing(llama: EmbeddedRegistry, ref: str, code: str) -> None:
    with pytest.raises(NotFoundError) as info:
        llama.get(ref)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("ref", "code"),
    [("model:meta/llama@", "invalid_reference"), ("meta/llama", "invalid_reference"),
     ("gizmo:meta/llama", "invalid_kind"), ("model:META/llama", "invalid_name")],
)
def test_a_malformed_reference_is_refused(llama: EmbeddedRegistry, refuse_here: Refuse, ref: str, code: str) -> None:
    refuse_here(functools.partial(llama.get, ref), ValidationError, code, "ref")


# -------------------------------------------------------------- versions
def all_versions(registry: EmbeddedRegistry, ref: str, limit: int) -> tuple[list[str], int]:
    items: list[str] = []
    cursor, pages = None, 0
    while True:
        page = registry.versions(ref, cursor=cursor, limit=limit)
        items.extend(v.version for v in page.items)
        pages += 1
        if page.next_cursor is None:
            return items, pages
        assert len(page.items) == limit
        cursor = page.next_cursor


def test_versions_are_listed_by_descending_precedence(llama: EmbeddedRegistry) -> None:
    expected = sorted(VERSIONS, key=functools.cmp_to_key(semver_compare), reverse=True)
    page = llama.versions("model:meta/llama")
    assert [v.version for v in page.items] == expected
    assert page.next_cursor is None
    by_version = {v.version: v for v in page.items}
    assert (by_version["1.2.0"].status.value, by_version["1.1.5"].status.value) == ("yanked", "deprecated")
    assert by_version["1.0.0"].aliases == ["production"]


@pytest.mark.parametrize("limit", [1, 3, 4, 9, 10])
def test_version_pages_have_no_duplicates_and_no_gaps(llama: EmbeddedRegistry, limit: int) -> None:
    items, pages = all_versions(llama, "model:meta/llama", limit)
    assert items == [v.version for v in llama.versions("model:meta/llama").items]
    assert pages == -(-len(VERSIONS) // limit)


def test_tricky_prerelease_order_holds_in_the_database(module_registry: EmbeddedRegistry) -> None:
    tricky = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
              "1.0.0-rc.1", "1.0.0", "1.0.0-1", "1.0.0-10", "1.0.0-9", "1.0.0-A", "1.0.0-a", "1.0.0--", "1.0.0-0a",
              "1.0.0-alpha-1", "1.0.0-alpha.1.1", "1.0.0-99999999999999999999", "1.0.0-100000000000000000000",
              "1.9.0", "1.10.0", "10.0.0", "2.0.0", "9223372036854775807.0.0"]
    for version in reversed(tricky):
        module_registry.register(model(name="acme/tricky", version=version))
    expected = sorted(tricky, key=functools.cmp_to_key(semver_compare), reverse=True)
    assert all_versions(module_registry, "model:acme/tricky", 5)[0] == expected


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"cursor": "not a cursor!"}, "invalid_cursor", "cursor"),
        ({"cursor": encode_cursor([1, 2])}, "invalid_cursor", "cursor"),
        ({"limit": 0}, "invalid_parameter", "limit"),
        ({"limit": 1001}, "invalid_parameter", "limit"),
    ],
)
def test_bad_version_list_parameters_are_refused(llama: EmbeddedRegistry, refuse_here: Refuse, kwargs: dict[str, Any],
                                                 code: str, field: str) -> None:
    refuse_here(functools.partial(llama.versions, "model:meta/llama", **kwargs), ValidationError, code, field)


@pytest.mark.parametrize(("listing", "values"), [("versions", ["a", "b", "c", "d"]), ("versions", [2**70, 0, 0, "~"]),
                                                 ("assets", [1, 2, 3])])
def test_a_cursor_with_values_of_the_wrong_type_is_invalid_cursor(llama: EmbeddedRegistry, refuse_here: Refuse,
                                                                 listing: str, values: list[Any]) -> None:
    # Built by hand: orjson (behind encode_cursor) cannot write integers beyond 64 bits, a client can.
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    action = (functools.partial(llama.versions, "model:meta/llama", cursor=cursor) if listing == "versions"
              else functools.partial(llama.assets, cursor=cursor))
    refuse_here(action, ValidationError, "invalid_cursor", "cursor")


def test_versions_of_an_unknown_asset_or_with_a_selector(llama: EmbeddedRegistry) -> None:
    with pytest.raises(NotFoundError) as missing:
        llama.versions("model:meta/nothing")
    assert missing.value.code == "asset_not_found"
    with pytest.raises(ValidationError) as selector:
        llama.versions("model:meta/llama@^1")
    assert (selector.value.code, selector.value.field) == ("invalid_reference", "ref")


# ---------------------------------------------------------------- assets
def test_asset_summary(llama: EmbeddedRegistry) -> None:
    summary = llama.asset("model:meta/llama")
    assert (summary.kind.value, summary.name, summary.latest, summary.version_count) == (
        "model", "meta/llama", "1.1.0", len(VERSIONS))
    assert summary.aliases == {"production": "1.0.0"}
    assert llama.asset("model:meta/pre").latest is None


def test_asset_pages_have_no_duplicates_and_no_gaps(registry: EmbeddedRegistry) -> None:
    names = ["a", "a-b", "a.b", "a_b", "ab", "b", "z9", "0", "9-x"]
    expected = set()
    for kind in ("model", "dataset", "prompt"):
        for namespace in ("acme", "acme-x", "zeta"):
            for name in names:
                spec = {"template": "t"} if kind == "prompt" else {}
                registry.register({"kind": kind, "name": f"{namespace}/{name}", "version": "1.0.0", "spec": spec})
                expected.add((kind, f"{namespace}/{name}"))
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        page = registry.assets(cursor=cursor, limit=7)
        seen.extend((a.kind.value, a.name) for a in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    kinds = [kind for kind, _ in seen]
    assert kinds == sorted(kinds)
    only = registry.assets(kind="dataset", namespace="acme-x", limit=100).items
    assert sorted(a.name for a in only) == sorted(f"acme-x/{n}" for n in names)
    assert all(a.version_count == 1 and a.latest == "1.0.0" for a in only)


@pytest.mark.parametrize(("kwargs", "code", "field"), [({"kind": "gizmo"}, "invalid_kind", "kind"),
                                                       ({"namespace": "Acme"}, "invalid_name", "namespace"),
                                                       ({"cursor": "%%%"}, "invalid_cursor", "cursor"),
                                                       ({"limit": -1}, "invalid_parameter", "limit")])
def test_bad_asset_list_parameters_are_refused(llama: EmbeddedRegistry, refuse_here: Refuse, kwargs: dict[str, Any],
                                               code: str, field: str) -> None:
    refuse_here(functools.partial(llama.assets, **kwargs), ValidationError, code, field)


# ------------------------------------------------------------ many versions
def test_an_asset_with_2000_versions_lists_and_resolves_correctly(module_registry: EmbeddedRegistry) -> None:
    registry = module_registry
    versions = [f"{major}.{minor}.0" for major in range(1, 5) for minor in range(500)]
    versions += ["4.500.0-rc.1", "5.0.0-beta.1"]
    for version in versions:
        registry.register(model(name="acme/many", version=version))
    for yanked in ("4.499.0", "3.499.0", "2.17.0"):
        registry.yank(f"model:acme/many@{yanked}")
    listed, pages = all_versions(registry, "model:acme/many", 1000)
    assert pages == 3
    assert listed == sorted(versions, key=functools.cmp_to_key(semver_compare), reverse=True)
    assert registry.asset("model:acme/many").version_count == len(versions)
    expectations = {
        "latest": "4.498.0",
        "^1": "1.499.0",
        "^3": "3.498.0",
        "~2.17": None,
        "~2.16": "2.16.0",
        ">=2.0.0 <2.18.0": "2.16.0",
        ">=4.500.0-rc.1": "4.500.0-rc.1",
        "*": "4.498.0",
        "1.250.0 - 2.3.0": "2.3.0",
    }
    for selector, expected in expectations.items():
        ref = f"model:acme/many@{selector}"
        if expected is None:
            with pytest.raises(NotFoundError):
                registry.resolve(ref)
        else:
            assert registry.resolve(ref).version == expected, selector


# ------------------------------------------------------------ digest prefixes
def test_a_unique_digest_prefix_chooses_its_version(registry: Registry) -> None:
    shared = "sha256:abcdef012345"
    first = registry.register(model("acme/short", "1.0.0", content={"digest": shared + "1" * 52, "size": 1}))
    second = registry.register(model("acme/short", "2.0.0", content={"digest": shared + "2" * 52, "size": 2}))
    assert registry.get(f"model:acme/short@{first.digest[:20]}").version == "1.0.0"
    assert registry.resolve(f"model:acme/short@{second.digest[:20]}").version == "2.0.0"
    pinned = registry.register(model("acme/pins", dependencies=[depends(f"model:acme/short@{shared}1")]))
    assert [(p.version, p.digest) for p in pinned.pins] == [("1.0.0", first.digest)]
    with pytest.raises(ValidationError) as ambiguous:
        registry.get(f"model:acme/short@{shared}")
    assert (ambiguous.value.code, ambiguous.value.field) == ("ambiguous_reference", "ref")
    assert ambiguous.value.details["candidates"] == [first.digest, second.digest]
    with pytest.raises(ValidationError) as short:
        registry.get("model:acme/short@sha256:abcdef01234")  # 11 hex digits
    assert short.value.code == "invalid_digest"
    with pytest.raises(NotFoundError) as missing:
        registry.get("model:acme/short@sha256:ffffffffffff")
    assert missing.value.code == "version_not_found"
