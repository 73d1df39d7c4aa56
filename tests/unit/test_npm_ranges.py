"""Our ranges against npm's own: tests/unit/npm_semver/ranges.json records what node-semver says
about each of some 800 ranges (a valid range? which of 134 versions satisfy it?), and every case
here is checked against it. generate.mjs beside the JSON says how to rerun it.

Where we deliberately differ from npm the case is named below with the reason; the test checks
that npm still answers as recorded (so the lists cannot go stale) and that we answer our way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llm_registry.domain.ranges import parse_range
from llm_registry.domain.versions import parse_version
from llm_registry.errors import ValidationError

FIXTURE: dict[str, Any] = json.loads((Path(__file__).parent / "npm_semver" / "ranges.json").read_text("utf-8"))
VERSIONS: list[str] = FIXTURE["versions"]
CASES: dict[str, dict[str, Any]] = {case["range"]: case for case in FIXTURE["cases"]}

# A partial version with a number after a wildcard (1.x.5, x.1, ^x.x.1, the x.1 of "1 - x.1").
# npm refuses it in a plain or compared x-range but reads ^1.x.5, ~x.1 and hyphen sides like
# x.1 as ^1.x, * and *: we refuse it in every form.
_NUMBER_AFTER_WILDCARD = re.compile(r"(?:^|[\s~^<>=])v?(?:(?:0|[1-9]\d*)\.)?[xX*](?:\.[xX*])?\.(?:0|[1-9]\d*)")
NUMBER_AFTER_WILDCARD = sorted(text for text in CASES if _NUMBER_AFTER_WILDCARD.search(text))

# npm accepts these as shown; we refuse them.
STRICTER_THAN_NPM = {
    "": "an empty range (npm: *)",
    "   ": "an empty range (npm: *)",
    "||": "an empty alternative (npm reads an empty side of || as *)",
    "1 ||": "an empty alternative (npm reads an empty side of || as *)",
    "|| 1": "an empty alternative (npm reads an empty side of || as *)",
    "1 || || 2": "an empty alternative (npm reads an empty side of || as *)",
    "+b": "build metadata on no version (npm strips every +build it finds)",
    "1.2.3 +b": "build metadata on no version (npm strips every +build it finds)",
    "1.x +b": "build metadata on no version (npm strips every +build it finds)",
    "1.2.3+b+c": "a second +build (npm strips every +build it finds)",
    "1+b.2+c": "a second +build (npm strips every +build it finds)",
}
# npm refuses these; we accept them.
LOOSER_THAN_NPM = {
    "9007199254740992.0.0": "a version number above 2^53 - 1 (we store numbers up to 2^63 - 1)",
}
DIFFERENT = set(NUMBER_AFTER_WILDCARD) | set(STRICTER_THAN_NPM) | set(LOOSER_THAN_NPM)


def ours(text: str) -> tuple[bool, list[str]]:
    """(is ``text`` a valid range, the fixture's versions it matches); a refusal must be ``invalid_range``."""
    try:
        parsed = parse_range(text)
    except ValidationError as error:
        code = error.code
    else:
        return True, [version for version in VERSIONS if parsed.match(parse_version(version))]
    assert code == "invalid_range", text
    return False, []


def test_the_fixture_is_npm_output_over_a_broad_sample() -> None:
    assert FIXTURE["generator"] == "tests/unit/npm_semver/generate.mjs"
    assert len(CASES) >= 700
    assert sum(case["valid"] for case in CASES.values()) >= 500
    assert sum(not case["valid"] for case in CASES.values()) >= 100
    assert any("-" in version for version in VERSIONS)
    assert any("+" in version for version in VERSIONS)
    # The valid ranges match many different sets of versions, not a few over and over.
    assert len({tuple(case["satisfied_by"]) for case in CASES.values() if case["valid"]}) >= 100


@pytest.mark.parametrize("text", sorted(set(CASES) - DIFFERENT))
def test_a_range_is_valid_and_matches_as_npm_says(text: str) -> None:
    case = CASES[text]
    valid, matched = ours(text)
    assert valid == case["valid"], f"{text!r}: npm reads it as {case['npm']!r}"
    assert matched == case["satisfied_by"], f"{text!r}: npm reads it as {case['npm']!r}"


@pytest.mark.parametrize("text", NUMBER_AFTER_WILDCARD)
def test_a_number_after_a_wildcard_is_refused_in_every_form(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_range(text, field="dependencies[0].ref")
    assert (info.value.code, info.value.field) == ("invalid_range", "dependencies[0].ref")
    assert "has a number after a wildcard" in info.value.message


def test_npm_refuses_a_number_after_a_wildcard_only_in_plain_and_compared_x_ranges() -> None:
    plain = [text for text in NUMBER_AFTER_WILDCARD if not re.search(r"[~^]| - |\|\|", text)]
    assert {"1.x.5", "1.*.5", "x.1", "x.x.1", ">=x.1", "<=1.x.5"} <= set(plain)
    assert [text for text in plain if CASES[text]["valid"]] == []
    accepted_by_npm = {text for text in NUMBER_AFTER_WILDCARD if CASES[text]["valid"]}
    assert {"^1.x.5", "~x.1", "1.x.5 - 2", "1 - x.1"} <= accepted_by_npm


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.x.5", "'1.x.5' has a number after a wildcard: every part after x, X or * must be a wildcard too"
                  " (write '1.x' for any 1.x version)"),
        ("x.1", "'x.1' has a number after a wildcard: every part after x, X or * must be a wildcard too"
                " (write 'x' for any version)"),
        ("^1.*.5", "'1.*.5' has a number after a wildcard"),
    ],
)
def test_the_refusal_says_what_the_range_would_have_meant(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_range(text)
    assert info.value.message.startswith(f"invalid range {text!r}: {message}")


@pytest.mark.parametrize("text", ["1.x+build.123", "^1.x+build", "~1.x+meta", ">=1.x+build <2.x.x+build", "1.2+b"])
def test_build_metadata_after_a_partial_version_is_ignored(text: str) -> None:
    without_build = re.sub(r"\+[0-9A-Za-z.-]+", "", text)
    assert CASES[text]["valid"]
    assert ours(text) == ours(without_build) == (True, CASES[text]["satisfied_by"])


@pytest.mark.parametrize(("text", "reason"), sorted(STRICTER_THAN_NPM.items()))
def test_we_refuse_what_npm_reads_loosely(text: str, reason: str) -> None:
    assert CASES[text]["valid"], f"npm refuses {text!r} now: it can leave STRICTER_THAN_NPM"
    assert ours(text) == (False, []), reason


@pytest.mark.parametrize(("text", "reason"), sorted(LOOSER_THAN_NPM.items()))
def test_we_accept_what_npm_refuses(text: str, reason: str) -> None:
    assert not CASES[text]["valid"], f"npm accepts {text!r} now: it can leave LOOSER_THAN_NPM"
    assert ours(text)[0], reason
