"""Range resolution as a property, on both backends: the version a range chooses is the highest
non-yanked version the range matches (node-semver's rules, written independently in
semver_reference), and never a prerelease unless the range names one."""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from llm_registry.domain.ranges import parse_range
from llm_registry.domain.versions import parse_version
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import NotFoundError
from tests.foundation.conftest import model
from tests.foundation.semver_reference import Comparator, npm_ranges, npm_satisfies, semver_compare, split

RELEASES = [f"{major}.{minor}.{patch}" for major in range(4) for minor in range(4) for patch in range(3)]
PRERELEASES = ["1.1.0-rc.1", "1.1.0-rc.2", "2.0.0-beta", "2.2.1-alpha.1", "3.3.3-alpha"]
YANKED = {"3.3.2", "1.3.2", "2.0.0", "0.0.1"}
DEPRECATED = {"3.3.1", "1.2.2"}


@pytest.fixture(scope="module")
def ranged(module_registry: EmbeddedRegistry) -> EmbeddedRegistry:
    for version in RELEASES + PRERELEASES:
        module_registry.register(model(name="acme/ranged", version=version))
    for version in YANKED:
        module_registry.yank(f"model:acme/ranged@{version}")
    for version in DEPRECATED:
        module_registry.deprecate(f"model:acme/ranged@{version}")
    return module_registry


def resolved(registry: EmbeddedRegistry, selector: str) -> str | None:
    try:
        return registry.resolve(f"model:acme/ranged@{selector}").version
    except NotFoundError as error:
        code = error.code
    assert code == "version_not_found"
    return None


def highest(versions: list[str]) -> str | None:
    return max(versions, key=functools.cmp_to_key(semver_compare), default=None)


@settings(max_examples=60, deadline=None)
@given(npm_ranges())
def test_a_range_chooses_the_highest_matching_non_yanked_release(
    ranged: EmbeddedRegistry, range_: tuple[str, list[list[Comparator]]]
) -> None:
    text, groups = range_
    # That is an exact version (which reaches yanked ones too), with or without build metadata.
    assume(not re.fullmatch(r"\d+\.\d+\.\d+(\+\S+)?", text))
    expected = highest([v for v in RELEASES if v not in YANKED and npm_satisfies(groups, split(v)[0])])
    chosen = resolved(ranged, text)
    assert chosen == expected, text
    assert chosen is None or "-" not in chosen  # a range naming no prerelease never picks one


@st.composite
def prerelease_ranges(draw: st.DrawFn) -> str:
    core = draw(st.sampled_from(["1.1.0", "2.0.0", "2.2.1", "3.3.3", "1.0.0"]))
    pre = draw(st.sampled_from(["alpha", "alpha.1", "beta", "rc.1", "rc.2"]))
    text = f"{draw(st.sampled_from(['>=', '>', '~', '^', '<', '<=', '']))}{core}-{pre}"
    if draw(st.booleans()):
        text += " " + draw(st.sampled_from(["<4", "<3.0.0", ">=1", "<2.2.1"]))
    return text


@settings(max_examples=40, deadline=None)
@given(prerelease_ranges())
def test_a_range_naming_a_prerelease_chooses_the_highest_match(ranged: EmbeddedRegistry, text: str) -> None:
    # Resolution (SQL order, prerelease pre-filter, yanked skipped) agrees with the range's
    # own npm matcher, whose npm answers test_domain checks case by case.
    assume(" " in text or not text[0].isdigit())  # a bare version is an exact selector, not a range
    spec = parse_range(text)
    candidates = [v for v in RELEASES + PRERELEASES if v not in YANKED and spec.match(parse_version(v))]
    assert resolved(ranged, text) == highest(candidates), text


def test_yanked_and_deprecated_are_treated_as_section_2_says(ranged: EmbeddedRegistry) -> None:
    assert resolved(ranged, "~3.3") == "3.3.1"  # 3.3.2 yanked; 3.3.1 deprecated but still chosen by a range
    assert resolved(ranged, "3.3.2") == "3.3.2"  # an exact version is still fetchable
    assert ranged.resolve("model:acme/ranged").version == "3.3.0"  # latest: the highest *active* release


def test_naming_a_prerelease_in_one_group_does_not_open_others(ranged: EmbeddedRegistry) -> None:
    assert resolved(ranged, "1.1.0-rc.1 || <2.0.0") == "1.3.1"
