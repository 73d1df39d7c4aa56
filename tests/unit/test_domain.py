"""Domain value types: kinds, names, versions and their precedence, ranges, references, digests.

Precedence and range matching are checked by hypothesis against independent reference models
written from the SemVer 2.0.0 text and node-semver's desugaring (tests/foundation/semver_reference.py).
"""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from llm_registry.domain.digests import canonical_json, digest_of, validate_digest
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import AssetName, parse_alias, parse_name
from llm_registry.domain.ranges import parse_range
from llm_registry.domain.references import SelectorType, parse_reference
from llm_registry.domain.versions import parse_version, sort_key, version_key
from llm_registry.errors import ValidationError
from tests.foundation.semver_reference import (
    npm_ranges,
    npm_satisfies,
    number_after_wildcard,
    semver_compare,
    semver_texts,
    split,
)

DIGEST = "sha256:" + "ab" * 32


def refused(call: functools.partial[object]) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.code, info.value.field


# ----------------------------------------------------------------- kinds
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_parses_and_round_trips_through_its_plural(kind: Kind) -> None:
    assert parse_kind(kind.value) is kind
    assert Kind.from_plural(kind.plural) is kind


def test_the_six_kinds_and_their_url_plurals() -> None:
    assert {k.value: k.plural for k in Kind} == {
        "model": "models", "dataset": "datasets", "prompt": "prompts", "pipeline": "pipelines",
        "policy": "policies", "test_suite": "test-suites",
    }


@pytest.mark.parametrize("value", ["Model", "models", "test-suite", "", None, 3, "model "])
def test_unknown_kind_is_invalid_kind(value: object) -> None:
    assert refused(functools.partial(parse_kind, value, field="spec.kind")) == ("invalid_kind", "spec.kind")


def test_unknown_plural_is_invalid_kind() -> None:
    assert refused(functools.partial(Kind.from_plural, "modelz")) == ("invalid_kind", "kind")


# ----------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("llama", AssetName("default", "llama")),
        ("acme/llama-3-8b", AssetName("acme", "llama-3-8b")),
        ("0/9", AssetName("0", "9")),
        ("a.b_c-d/x.y_z-0", AssetName("a.b_c-d", "x.y_z-0")),
        ("n" * 64 + "/" + "m" * 64, AssetName("n" * 64, "m" * 64)),
    ],
)
def test_valid_names(text: str, expected: AssetName) -> None:
    assert parse_name(text) == expected


def test_name_without_namespace_goes_to_the_configured_default() -> None:
    assert parse_name("llama", default_namespace="team") == AssetName("team", "llama")
    assert str(parse_name("llama")) == "default/llama"


@pytest.mark.parametrize(
    "text",
    ["", "/", "acme/", "/llama", "Acme/llama", "acme/Llama", "a/b/c", "-a/b", "a/.b", "_a", "a b", "a/b ",
     "n" * 65, "acme/" + "m" * 65, "acme/llamä", "acme\\llama"],
)
def test_invalid_names_are_invalid_name_on_the_given_field(text: str) -> None:
    assert refused(functools.partial(parse_name, text, field="name")) == ("invalid_name", "name")


@pytest.mark.parametrize("value", [None, 5, ["a"], b"a/b"])
def test_a_name_that_is_not_text_is_invalid_name(value: object) -> None:
    assert refused(functools.partial(parse_name, value, field="x")) == ("invalid_name", "x")


@pytest.mark.parametrize("alias", ["production", "staging", "p", "v1", "rc-2", "a.b_c"])
def test_valid_aliases(alias: str) -> None:
    assert parse_alias(alias) == alias


@pytest.mark.parametrize("alias", ["x", "Prod", "1prod", "-prod", "", "a" * 65, "pro duction", None])
def test_invalid_aliases(alias: object) -> None:
    # A lone "x" is the wildcard range, so it can never be an alias name.
    assert refused(functools.partial(parse_alias, alias)) == ("invalid_alias", "alias")


# -------------------------------------------------------------- versions
@pytest.mark.parametrize(
    "text", ["0.0.0", "1.2.3", "1.0.0-rc.1", "1.0.0-0A.is.legal", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
             "1.0.0+001", "9223372036854775807.0.0", "1.0.0--"],
)
def test_valid_versions_round_trip(text: str) -> None:
    assert str(parse_version(text)) == text


@pytest.mark.parametrize(
    "text",
    ["1", "1.2", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-a..b",
     "1.2.3-a_b", " 1.2.3", "1.2.3 ", "1.2.3.4", "", "latest", "^1.2.3", "9223372036854775808.0.0",
     "0.0.99999999999999999999"],
)
def test_invalid_versions_are_invalid_version(text: str) -> None:
    assert refused(functools.partial(parse_version, text, field="version")) == ("invalid_version", "version")


@pytest.mark.parametrize("value", [1, 1.0, None, ["1.0.0"]])
def test_a_version_that_is_not_text_is_invalid_version(value: object) -> None:
    assert refused(functools.partial(parse_version, value, field="v")) == ("invalid_version", "v")


def test_version_key_drops_build_metadata_only() -> None:
    assert version_key(parse_version("1.2.3-rc.1+build.7")) == "1.2.3-rc.1"
    assert version_key(parse_version("1.2.3+a")) == version_key(parse_version("1.2.3+b")) == "1.2.3"
    assert version_key(parse_version("1.2.3-rc.1")) != version_key(parse_version("1.2.3"))


def test_precedence_examples_from_the_semver_text() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.1.0", "2.1.1", "10.0.0"]
    keys = [sort_key(parse_version(v)) for v in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@settings(max_examples=200, deadline=None)
@given(semver_texts(), semver_texts())
@example("1.0.0-alpha", "1.0.0-alpha.1")
@example("1.0.0-1", "1.0.0-a")
@example("1.0.0-9", "1.0.0-10")
@example("1.0.0-a-1", "1.0.0-a.1")
@example("1.0.0-Z", "1.0.0-a")
@example("1.0.0-99999999999999999999", "1.0.0-100000000000000000000")
@example("1.0.0-rc.1", "1.0.0")
def test_sort_key_order_is_semver_precedence(a: str, b: str) -> None:
    key_a, key_b = sort_key(parse_version(a)), sort_key(parse_version(b))
    assert ((key_a > key_b) - (key_a < key_b)) == semver_compare(a, b)
    # The prerelease key is compared byte-wise by the databases: same answer as Python's str order.
    assert (key_a.prerelease.encode() < key_b.prerelease.encode()) == (key_a.prerelease < key_b.prerelease)


@settings(max_examples=100, deadline=None)
@given(st.lists(semver_texts(), min_size=2, max_size=12))
def test_sorting_by_sort_key_sorts_by_precedence(texts: list[str]) -> None:
    by_key = sorted(texts, key=lambda t: sort_key(parse_version(t)))
    for lower, higher in itertools.pairwise(by_key):
        assert semver_compare(lower, higher) <= 0


@settings(max_examples=100, deadline=None)
@given(semver_texts(build=False), st.from_regex(r"[0-9A-Za-z-]{1,8}(\.[0-9A-Za-z-]{1,8}){0,2}", fullmatch=True))
def test_build_metadata_is_ignored_by_precedence_and_version_key(text: str, build: str) -> None:
    plain, built = parse_version(text), parse_version(f"{text}+{build}")
    assert sort_key(plain) == sort_key(built)
    assert version_key(plain) == version_key(built) == text
    assert str(built) == f"{text}+{build}"


@settings(max_examples=100, deadline=None)
@given(semver_texts())
def test_sort_key_agrees_with_the_parsed_parts(text: str) -> None:
    (major, minor, patch), pre = split(text)
    key = sort_key(parse_version(text))
    assert (key.major, key.minor, key.patch) == (major, minor, patch)
    assert (key.prerelease == "~") == (not pre)


# ---------------------------------------------------------------- ranges
@pytest.mark.parametrize(
    ("text", "matches", "misses"),
    [
        ("^1.2", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0"]),
        ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0", "0.2.2"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2"]),
        ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
        ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
        (">=1.0 <2", ["1.0.0", "1.99.0"], ["0.9.9", "2.0.0"]),
        ("1.x", ["1.0.0", "1.5.5"], ["2.0.0", "0.1.0"]),
        ("1.2.x", ["1.2.7"], ["1.3.0"]),
        ("*", ["0.0.0", "99.0.0"], []),
        ("x", ["3.1.4"], []),
        ("1.2 - 1.4", ["1.2.0", "1.4.99"], ["1.5.0", "1.1.9"]),
        ("1.2.3 - 2.3.4", ["1.2.3", "2.3.4"], ["2.3.5", "1.2.2"]),
        ("^1 || ^3", ["1.0.0", "3.3.3"], ["2.0.0", "4.0.0"]),
        (">1.2", ["1.3.0"], ["1.2.9"]),
        ("<=1.2", ["1.2.9"], ["1.3.0"]),
    ],
)
def test_range_forms_match_as_npm_does(text: str, matches: list[str], misses: list[str]) -> None:
    parsed = parse_range(text)
    assert str(parsed) == text
    assert [v for v in matches if parsed.match(parse_version(v))] == matches
    assert [v for v in misses if parsed.match(parse_version(v))] == []


@pytest.mark.parametrize(
    ("text", "matches", "misses"),
    [("~>1.2", ["1.2.0", "1.2.9"], ["1.3.0"]), (">=1.0  <2", ["1.0.0", "1.9.9"], ["2.0.0"]), ("<x", [], ["0.0.0"])],
)
def test_npm_also_accepts_these_forms(text: str, matches: list[str], misses: list[str]) -> None:
    parsed = parse_range(text)
    assert [v for v in matches if parsed.match(parse_version(v))] == matches
    assert [v for v in misses if parsed.match(parse_version(v))] == []


@pytest.mark.parametrize("text", ["", "   ", "^", "1.2.3.4", ">=a", "latest", "1 - 2 - 3", "1 -2", "||", "1 ||"])
def test_invalid_ranges_are_invalid_range(text: str) -> None:
    assert refused(functools.partial(parse_range, text, field="dependencies[0].ref")) == (
        "invalid_range", "dependencies[0].ref")


@pytest.mark.parametrize("text", ["1 - abc", "abc - 1.0"])
def test_hyphen_range_with_a_bad_side_is_invalid_range(text: str) -> None:
    assert refused(functools.partial(parse_range, text))[0] == "invalid_range"


@settings(max_examples=200, deadline=None)
@given(npm_ranges(), st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)))
def test_range_matching_of_releases_equals_node_semver(range_: tuple[str, list[list[tuple[str, tuple[int, int, int]]]]],
                                                       core: tuple[int, int, int]) -> None:
    text, groups = range_
    version = parse_version(".".join(map(str, core)))
    assert parse_range(text).match(version) == npm_satisfies(groups, core), text


@settings(max_examples=200, deadline=None)
@given(number_after_wildcard())
def test_a_number_after_a_wildcard_is_refused_in_any_range_form(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_range(text, field="dependencies[0].ref")
    assert (info.value.code, info.value.field) == ("invalid_range", "dependencies[0].ref")
    assert "has a number after a wildcard" in info.value.message, info.value.message


@pytest.mark.parametrize(("text", "version"), [("^1.0.0", "1.5.0-rc.1"), ("*", "1.0.0-rc.1"), (">=1.0.0", "2.0.0-a"),
                                               ("~1.2.3", "1.2.4-beta"), ("1.x", "1.1.0-0")])
def test_a_range_naming_no_prerelease_never_matches_one(text: str, version: str) -> None:
    assert not parse_range(text).match(parse_version(version))


@pytest.mark.parametrize(
    ("text", "version"),
    [(">=1.0.0-rc.1", "1.0.0-rc.2"), ("~1.2.3-beta.2", "1.2.3-beta.4"), ("^1.2.3-beta.2", "1.2.3-beta.10"),
     ("1.0.0-rc.1 - 1.0.0", "1.0.0-rc.5")],
)
def test_a_range_naming_a_prerelease_matches_prereleases_of_that_version(text: str, version: str) -> None:
    assert parse_range(text).match(parse_version(version))


@pytest.mark.parametrize(("text", "version"), [(">=1.0.0-rc.1", "1.1.0-rc.1"), ("~1.2.3-beta.2", "1.2.4-beta.4")])
def test_a_named_prerelease_opens_only_its_own_major_minor_patch(text: str, version: str) -> None:
    assert not parse_range(text).match(parse_version(version))


@pytest.mark.parametrize("text", ["<=1.0.0-rc.1", "=1.0.0-rc.1", "1.0.0-alpha - 1.0.0-rc.5"])
def test_an_upper_bound_with_a_prerelease_excludes_the_release(text: str) -> None:
    assert not parse_range(text).match(parse_version("1.0.0"))


@pytest.mark.parametrize(("text", "version"), [("<2.0.0", "2.0.0-rc.1"), ("<1.2", "1.2.0-beta")])
def test_an_upper_bound_never_lets_in_a_prerelease_it_does_not_name(text: str, version: str) -> None:
    assert not parse_range(text).match(parse_version(version))


@pytest.mark.parametrize("text", ["2.0.0-rc.1 - 2.0.0-rc.3", ">=2.0.0-rc.1 <=2.0.0-rc.3", ">2.0.0-rc.1 <2.0.0-rc.3"])
def test_a_range_between_two_prereleases_matches_the_prereleases_between(text: str) -> None:
    assert parse_range(text).match(parse_version("2.0.0-rc.2"))


# ------------------------------------------------------------ references
@pytest.mark.parametrize(
    ("text", "kind", "name", "selector_type", "selector"),
    [
        ("model:acme/llama", Kind.MODEL, ("acme", "llama"), SelectorType.LATEST, None),
        ("dataset:qa", Kind.DATASET, ("default", "qa"), SelectorType.LATEST, None),
        ("prompt:acme/p@latest", Kind.PROMPT, ("acme", "p"), SelectorType.LATEST, "latest"),
        ("model:acme/llama@1.2.0", Kind.MODEL, ("acme", "llama"), SelectorType.VERSION, "1.2.0"),
        ("model:acme/llama@1.2.0-rc.1+b.5", Kind.MODEL, ("acme", "llama"), SelectorType.VERSION, "1.2.0-rc.1+b.5"),
        ("model:acme/llama@^1.2", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "^1.2"),
        ("model:acme/llama@~1.2.3", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "~1.2.3"),
        ("model:acme/llama@>=1.0 <2", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, ">=1.0 <2"),
        ("model:acme/llama@1.x", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "1.x"),
        ("model:acme/llama@x", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "x"),
        ("model:acme/llama@X", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "X"),
        ("model:acme/llama@*", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "*"),
        ("model:acme/llama@1.2", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "1.2"),
        ("model:acme/llama@1.2 - 1.4", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "1.2 - 1.4"),
        ("model:acme/llama@^1 || ^2", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "^1 || ^2"),
        ("model:acme/llama@<2.0.0", Kind.MODEL, ("acme", "llama"), SelectorType.RANGE, "<2.0.0"),
        ("model:acme/llama@production", Kind.MODEL, ("acme", "llama"), SelectorType.ALIAS, "production"),
        ("test_suite:acme/evals@v2", Kind.TEST_SUITE, ("acme", "evals"), SelectorType.ALIAS, "v2"),
        (f"model:acme/llama@{DIGEST}", Kind.MODEL, ("acme", "llama"), SelectorType.DIGEST, DIGEST),
    ],
)
def test_references_of_every_selector_type(
    text: str, kind: Kind, name: tuple[str, str], selector_type: SelectorType, selector: str | None
) -> None:
    ref = parse_reference(text)
    assert (ref.kind, tuple(ref.name), ref.selector_type, ref.selector) == (kind, name, selector_type, selector)
    assert ref.asset == f"{kind.value}:{name[0]}/{name[1]}"
    assert (ref.version is not None) == (selector_type is SelectorType.VERSION)
    assert (ref.range is not None) == (selector_type is SelectorType.RANGE)
    # str() is the canonical text (namespace filled in) and reads back as the same reference.
    assert parse_reference(str(ref)) == ref


def test_reference_kind_can_come_from_the_context() -> None:
    ref = parse_reference("acme/llama@^1", kind=Kind.MODEL)
    assert (ref.kind, ref.selector_type) == (Kind.MODEL, SelectorType.RANGE)
    assert refused(functools.partial(parse_reference, "dataset:acme/llama", kind=Kind.MODEL, field="f")) == (
        "invalid_reference", "f")


def test_reference_default_namespace_is_configurable() -> None:
    assert parse_reference("model:llama", default_namespace="team").asset == "model:team/llama"


def test_with_version_makes_an_exact_reference() -> None:
    ref = parse_reference("model:acme/llama@^1").with_version("1.4.0")
    assert (ref.selector_type, str(ref)) == (SelectorType.VERSION, "model:acme/llama@1.4.0")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_reference"),
        ("acme/llama", "invalid_reference"),
        ("model:acme/llama@", "invalid_reference"),
        ("model:acme/llama@ ", "invalid_reference"),
        ("model:acme/llama@!!", "invalid_reference"),
        ("model:acme/llama@1.2.3.4", "invalid_reference"),
        ("model:acme/llama@Production", "invalid_reference"),
        ("model:acme/llama@1@2", "invalid_reference"),
        ("gizmo:acme/llama", "invalid_kind"),
        ("Model:acme/llama", "invalid_kind"),
        ("model:Acme/llama", "invalid_name"),
        ("model:a/b/c", "invalid_name"),
        ("model:", "invalid_name"),
        ("model:acme/llama@sha256:abc", "invalid_digest"),
        ("model:acme/llama@sha256:" + "AB" * 32, "invalid_digest"),
    ],
)
def test_invalid_references_get_their_specific_code_on_the_given_field(text: str, code: str) -> None:
    assert refused(functools.partial(parse_reference, text, field="dependencies[2].ref")) == (
        code, "dependencies[2].ref")


@pytest.mark.parametrize("value", [None, 7, ["model:a/b"]])
def test_a_reference_that_is_not_text_is_invalid_reference(value: object) -> None:
    assert refused(functools.partial(parse_reference, value)) == ("invalid_reference", "ref")


def test_a_reference_with_a_broken_hyphen_range_is_invalid_reference() -> None:
    assert refused(functools.partial(parse_reference, "model:acme/llama@1 - abc"))[0] == "invalid_reference"


@pytest.mark.parametrize("selector", ["1.x.5", "^1.*.5", ">=1.0 <2.x.1"])
def test_a_reference_whose_range_has_a_number_after_a_wildcard_says_so(selector: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_reference(f"model:acme/llama@{selector}", field="dependencies[0].ref")
    assert (info.value.code, info.value.field) == ("invalid_reference", "dependencies[0].ref")
    assert "has a number after a wildcard" in info.value.message


# --------------------------------------------------------------- digests
def test_digest_of_is_canonical_json_sha256_whatever_the_key_order() -> None:
    a = {"b": [1, {"y": 2, "x": 1}], "a": "é"}
    b = {"a": "é", "b": [1, {"x": 1, "y": 2}]}
    assert canonical_json(a) == canonical_json(b) == '{"a":"é","b":[1,{"x":1,"y":2}]}'.encode()
    assert digest_of(a) == digest_of(b)
    assert digest_of(a) != digest_of({**a, "c": None})
    assert validate_digest(digest_of(a)) == digest_of(a)


@pytest.mark.parametrize(
    "value", ["sha256:abc", "sha256:" + "AB" * 32, "sha512:" + "ab" * 32, "ab" * 32, "sha256:" + "ab" * 33, None, 5]
)
def test_invalid_digests_are_invalid_digest(value: object) -> None:
    assert refused(functools.partial(validate_digest, value, field="content.digest")) == (
        "invalid_digest", "content.digest")


@given(st.floats(min_value=0, max_value=253_402_300_799, allow_nan=False))
def test_format_epoch_is_format_time_of_the_same_moment(seconds: float) -> None:
    from datetime import UTC, datetime

    from llm_registry.domain.times import format_epoch, format_time

    assert format_epoch(seconds) == format_time(datetime.fromtimestamp(seconds, UTC))
