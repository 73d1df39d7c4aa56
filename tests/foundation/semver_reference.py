"""Independent reference models for the property tests: SemVer 2.0.0 precedence (§11 of
semver.org) and npm range semantics (node-semver's desugaring), plus hypothesis strategies.

Nothing here imports the registry: the tests compare the registry against these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

# ------------------------------------------------------------------ SemVer §11
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def split(text: str) -> tuple[tuple[int, int, int], list[str]]:
    """(major, minor, patch) and the prerelease identifiers; build metadata dropped."""
    match = _SEMVER.fullmatch(text)
    assert match, text
    pre = match.group(4)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))), pre.split(".") if pre else []


def _compare_identifier(a: str, b: str) -> int:
    a_num, b_num = a.isdigit(), b.isdigit()
    if a_num and b_num:  # §11.4.1: numerically
        return (int(a) > int(b)) - (int(a) < int(b))
    if a_num != b_num:  # §11.4.3: numeric identifiers have lower precedence
        return -1 if a_num else 1
    return (a > b) - (a < b)  # §11.4.2: lexically in ASCII order


def semver_compare(a: str, b: str) -> int:
    """-1, 0 or 1 by SemVer 2.0.0 precedence (build metadata ignored, §10)."""
    core_a, pre_a = split(a)
    core_b, pre_b = split(b)
    if core_a != core_b:  # §11.2
        return (core_a > core_b) - (core_a < core_b)
    if not pre_a or not pre_b:  # §11.3: a prerelease sorts below its release
        return (not pre_a) - (not pre_b)
    for x, y in zip(pre_a, pre_b, strict=False):  # §11.4
        result = _compare_identifier(x, y)
        if result:
            return result
    return (len(pre_a) > len(pre_b)) - (len(pre_a) < len(pre_b))  # §11.4.4


_NUMERIC = st.one_of(st.integers(0, 12), st.integers(0, 10**30)).map(str)
_ALPHANUMERIC = st.one_of(
    st.sampled_from(["alpha", "beta", "rc", "a", "b", "A", "Z", "z", "-", "--", "0a", "a-1", "x-", "1a", "alpha-1"]),
    st.from_regex(r"[0-9A-Za-z-]{0,5}[A-Za-z-][0-9A-Za-z-]{0,5}", fullmatch=True),
)
_COMPONENT = st.one_of(st.integers(0, 3), st.integers(0, 2**63 - 1))


@st.composite
def semver_texts(draw: st.DrawFn, *, build: bool = True) -> str:
    """A valid SemVer 2.0.0 string, biased towards equal cores so that prereleases get compared."""
    text = f"{draw(_COMPONENT)}.{draw(_COMPONENT)}.{draw(_COMPONENT)}"
    identifiers = draw(st.lists(st.one_of(_NUMERIC, _ALPHANUMERIC), max_size=4))
    if identifiers:
        text += "-" + ".".join(identifiers)
    if build and draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(st.from_regex(r"[0-9A-Za-z-]{1,6}", fullmatch=True), min_size=1,
                                             max_size=3)))
    return text


# ------------------------------------------------------------------ npm ranges
Core = tuple[int, int, int]
Comparator = tuple[str, Core]  # (op, version) with op in = > >= < <=


@dataclass(frozen=True)
class Partial:
    """A version with its trailing parts possibly wildcarded (``1``, ``1.2``, ``1.x``, ``1.2.X``)."""

    major: int
    minor: int | None
    patch: int | None
    text: str

    def floor(self) -> Core:
        return (self.major, self.minor or 0, self.patch or 0)

    def next_up(self) -> Core:
        """The first version above every version the partial covers."""
        if self.minor is None:
            return (self.major + 1, 0, 0)
        if self.patch is None:
            return (self.major, self.minor + 1, 0)
        return (self.major, self.minor, self.patch + 1)

    @property
    def full(self) -> bool:
        return self.patch is not None


@st.composite
def partials(draw: st.DrawFn) -> Partial:
    major = draw(st.integers(0, 3))
    depth = draw(st.sampled_from([1, 2, 3, 3]))
    minor = draw(st.integers(0, 3)) if depth >= 2 else None
    patch = draw(st.integers(0, 3)) if depth == 3 else None
    text = str(major)
    wildcard = draw(st.sampled_from(["", ".x", ".X", ".*"]))
    if minor is None:
        text += wildcard + (wildcard if wildcard and draw(st.booleans()) else "")
    else:
        text += f".{minor}"
        text += f".{patch}" if patch is not None else wildcard
    # node-semver ignores build metadata after any version, partial ones included (1.x+build is 1.x).
    text += draw(st.sampled_from(["", "", "", "", "+build", "+b.1", "+meta-2.x"]))
    return Partial(major, minor, patch, text)


@st.composite
def number_after_wildcard(draw: st.DrawFn) -> str:
    """A partial version with a number after a wildcard (``1.x.5``, ``x.1``, ``*.x.2``), in any
    range form: node-semver refuses the plain and compared ones (and reads ``^1.x.5`` as
    ``^1.x``); the registry refuses them all."""
    wildcard = st.sampled_from(["x", "X", "*"])
    number = st.integers(0, 12).map(str)
    parts = draw(st.sampled_from([
        [number, wildcard, number], [wildcard, number], [wildcard, number, number], [wildcard, wildcard, number],
        [wildcard, number, wildcard],
    ]))
    suffixes = ["", "+build", "-rc.1"] if len(parts) == 3 else ["", "+build"]  # a prerelease needs three parts
    text = ".".join(draw(part) for part in parts) + draw(st.sampled_from(suffixes))
    form = draw(st.sampled_from(["", "=", ">", ">=", "<", "<=", "~", "~>", "^", "low", "high", "and", "or"]))
    if form == "low":
        return f"{text} - 2.0.0"
    if form == "high":
        return f"1.0.0 - {text}"
    if form == "and":
        return f">=1.0.0 {text}"
    if form == "or":
        return f"^1.2.3 || {text}"
    return form + text


def _caret(p: Partial) -> list[Comparator]:
    if p.major > 0 or p.minor is None:
        high = (p.major + 1, 0, 0)
    elif p.minor > 0 or p.patch is None:
        high = (0, p.minor + 1, 0)
    else:
        high = (0, 0, (p.patch or 0) + 1)
    return [(">=", p.floor()), ("<", high)]


def _tilde(p: Partial) -> list[Comparator]:
    high = (p.major + 1, 0, 0) if p.minor is None else (p.major, p.minor + 1, 0)
    return [(">=", p.floor()), ("<", high)]


def _operator(op: str, p: Partial) -> list[Comparator]:
    if op in ("", "="):
        return [("=", p.floor())] if p.full else [(">=", p.floor()), ("<", p.next_up())]
    if op == ">":
        return [(">", p.floor())] if p.full else [(">=", p.next_up())]
    if op == ">=":
        return [(">=", p.floor())]
    if op == "<":
        return [("<", p.floor())]
    assert op == "<="
    return [("<=", p.floor())] if p.full else [("<", p.next_up())]


@st.composite
def npm_primitive(draw: st.DrawFn) -> tuple[str, list[Comparator]]:
    """One npm range primitive as (text, its desugared comparators), per node-semver."""
    form = draw(st.sampled_from(["star", "caret", "tilde", "op", "op", "hyphen"]))
    if form == "star":
        return draw(st.sampled_from(["*", "x", "X"])), [(">=", (0, 0, 0))]
    p = draw(partials())
    if form == "caret":
        return "^" + p.text, _caret(p)
    if form == "tilde":
        return "~" + p.text, _tilde(p)
    if form == "op":
        op = draw(st.sampled_from(["", "=", ">", ">=", "<", "<="]))
        return op + p.text, _operator(op, p)
    high = draw(partials())
    upper = [("<=", high.floor())] if high.full else [("<", high.next_up())]
    return f"{p.text} - {high.text}", [(">=", p.floor()), *upper]


@st.composite
def npm_ranges(draw: st.DrawFn) -> tuple[str, list[list[Comparator]]]:
    """A range of 1 to 3 ``||`` groups, each a hyphen range or 1 or 2 space-separated primitives."""
    groups_text, groups = [], []
    for _ in range(draw(st.integers(1, 3))):
        parts = draw(st.lists(npm_primitive(), min_size=1, max_size=2))
        if any(" - " in text for text, _ in parts):
            parts = [next(part for part in parts if " - " in part[0])]
        groups_text.append(" ".join(text for text, _ in parts))
        groups.append([comparator for _, comparators in parts for comparator in comparators])
    return " || ".join(groups_text), groups


def npm_satisfies(groups: list[list[Comparator]], version: Core) -> bool:
    """Whether a release version satisfies the desugared range."""

    def holds(op: str, bound: Core) -> bool:
        return {
            "=": version == bound,
            ">": version > bound,
            ">=": version >= bound,
            "<": version < bound,
            "<=": version <= bound,
        }[op]

    return any(all(holds(op, bound) for op, bound in group) for group in groups)
