"""The ``pattern``s the OpenAPI document states accept exactly what the domain's parsers accept.

Each is checked both ways: every string drawn from the pattern parses, and every string drawn
from the characters the rule is about parses exactly when it matches the pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_registry.domain import patterns
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import is_alias_name, parse_name
from llm_registry.domain.ranges import parse_range
from llm_registry.domain.references import REFERENCE_PATTERN, kind_reference_pattern, parse_reference
from llm_registry.domain.versions import parse_version
from llm_registry.errors import ValidationError

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def accepts(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValidationError:
        return False
    return True


CASES: dict[str, tuple[str, Callable[[str], object], str]] = {
    "version": (patterns.SEMVER, parse_version, "0123456789.-+aZx"),
    "range": (patterns.RANGE, parse_range, "0129.xX*v-+|<>=~^ \t\u3000rc"),
    "reference": (REFERENCE_PATTERN, parse_reference, "model:acme/b@0129.-x^<=~| \x1clatestsha256f"),
    "name": (patterns.NAME, parse_name, "ab0._-/"),
    "suite reference": (kind_reference_pattern(Kind.TEST_SUITE),
                        lambda text: parse_reference(text, kind=Kind.TEST_SUITE),
                        "test_suite:model:acme/b@0129.-x^<=~| latestsha256f"),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_what_the_pattern_allows_parses(case: str) -> None:
    pattern, parse, _ = CASES[case]

    @FUZZ
    @given(st.from_regex(re.compile(patterns.anchored(pattern)), fullmatch=True))
    def check(text: str) -> None:
        assert accepts(parse, text), text

    check()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_what_parses_matches_the_pattern(case: str) -> None:
    pattern, parse, alphabet = CASES[case]
    compiled = re.compile(pattern)

    @FUZZ
    @given(st.text(alphabet, max_size=24))
    def check(text: str) -> None:
        assert accepts(parse, text) == bool(compiled.fullmatch(text)), text

    check()


@pytest.mark.parametrize("text", [
    "1.2.3", "0.0.0", "1.0.0-rc.1", "1.0.0-0a", "1.0.0+01", "1.0.0--", f"{2**63 - 1}.0.0",
])
def test_versions(text: str) -> None:
    assert re.fullmatch(patterns.SEMVER, text)
    assert accepts(parse_version, text)


@pytest.mark.parametrize("text", ["1.2", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", f"{2**63}.0.0", "v1.0.0"])
def test_not_versions(text: str) -> None:
    assert not re.fullmatch(patterns.SEMVER, text)
    assert not accepts(parse_version, text)


@pytest.mark.parametrize("text", [
    "^1.2", "~1.2.3", ">=1.0 <2", "1.x", "1.2 - 1.4", "1 || 2", "> = 1", "~ >1.2", "1.x.x-rc", "*", "v1",
    "1.2.3-rc.1 - 2", f"{2**64}.0.0",
])
def test_ranges(text: str) -> None:
    assert re.fullmatch(patterns.RANGE, text)
    assert accepts(parse_range, text)


@pytest.mark.parametrize("text", ["1.x.5", "x.1", "1.2.3.4", "1 ||", "1 - ", "1.2.3-01", ">==1", ""])
def test_not_ranges(text: str) -> None:
    assert not re.fullmatch(patterns.RANGE, text)
    assert not accepts(parse_range, text)


@pytest.mark.parametrize("text", ["a", "latest", "v1.2", "x1"])
def test_aliases(text: str) -> None:
    assert re.fullmatch(patterns.ALIAS, text)
    assert is_alias_name(text)


def test_a_lone_x_is_no_alias() -> None:
    assert re.fullmatch(patterns.ALIAS, "x")
    assert not is_alias_name("x")
    assert patterns.NOT_ALIASES == ("x",)


@given(st.integers(min_value=0, max_value=2**64))
@FUZZ
def test_decimal_at_most(number: int) -> None:
    limit = 2**63 - 1
    assert bool(re.fullmatch(patterns.decimal_at_most(limit), str(number))) is (number <= limit)
