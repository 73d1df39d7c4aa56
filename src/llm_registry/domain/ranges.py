"""npm-style version ranges with npm's semantics: ``parse_range`` and ``VersionRange``.

A range is comparator sets joined by ``||``; a set is comparators that must all hold.
Caret, tilde, x-ranges, partial versions and hyphen ranges desugar to plain comparators the
way node-semver does it (``^1.2.3`` is ``>=1.2.3 <2.0.0-0``, ``1.x`` is ``>=1.0.0 <2.0.0-0``,
``1.2 - 1.4`` is ``>=1.2.0 <1.5.0-0`` …). Comparisons use SemVer precedence through
``sort_key``. A prerelease version satisfies a set only when one of the set's comparators
names a prerelease of the same ``major.minor.patch`` — npm's rule that ranges never pick
prereleases they do not name.

Build metadata after any version, partial or full, is ignored (``1.x+build`` is ``1.x``), and
a number after a wildcard (``1.x.5``, ``x.1``) is refused, in every form. Where this parser
differs from npm on loose input it refuses what npm guesses at; tests/unit/test_npm_ranges.py
checks it against npm's own answers and lists each difference.

semantic_version's ``NpmSpec`` parses the same syntax but widens upper bounds that carry a
prerelease and lets ``<2.0.0`` match ``2.0.0-rc.1``; these rules are small enough to own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from llm_registry.domain.versions import SortKey, Version, sort_key
from llm_registry.errors import ValidationError

_PART = r"(?:0|[1-9]\d*|[xX*])"
# Build metadata may follow any partial version (1.x+build, ^1.2+b) and is ignored, as npm
# ignores it; a prerelease only follows a third part (1.2.3-rc, 1.x.x-rc, not 1.x-rc).
_PARTIAL = re.compile(
    rf"v?(?P<major>{_PART})(?:\.(?P<minor>{_PART})(?:\.(?P<patch>{_PART})"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_COMPARATOR = re.compile(r"(?P<op><=|>=|<|>|=|~>|~|\^)?(?P<version>\S+)")
_HYPHEN = re.compile(r"^(?P<low>\S+)\s+-\s+(?P<high>\S+)$")
_OPERATOR_SPACE = re.compile(r"(<=|>=|<|>|=|~>|~|\^)\s+")
_WILDCARDS = frozenset({"x", "X", "*"})


class RangeSyntaxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Comparator:
    operator: str  # one of >= > <= < =
    key: SortKey
    core: tuple[int, int, int]
    prerelease: bool

    def holds(self, key: SortKey) -> bool:
        if self.operator == ">=":
            return key >= self.key
        if self.operator == ">":
            return key > self.key
        if self.operator == "<=":
            return key <= self.key
        if self.operator == "<":
            return key < self.key
        return key == self.key


@dataclass(frozen=True, slots=True)
class _Partial:
    major: int | None
    minor: int | None
    patch: int | None
    pre: str | None


def _partial(text: str) -> _Partial:
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise RangeSyntaxError(f"invalid version {text!r} in range")

    parts = [part for part in match.group("major", "minor", "patch") if part is not None]
    wildcard = next((i for i, part in enumerate(parts) if part in _WILDCARDS), len(parts))
    if any(part not in _WILDCARDS for part in parts[wildcard:]):
        # Read as npm reads ^1.x.5 or ~x.1 (as ^1.x and *), x.1 would choose versions nobody meant;
        # npm itself refuses 1.x.5 and x.1 as plain or compared x-ranges. We refuse it everywhere.
        head = ".".join(parts[: wildcard + 1])
        meaning = "any version" if wildcard == 0 else f"any {head} version"
        raise RangeSyntaxError(
            f"{text!r} has a number after a wildcard: every part after x, X or * must be a wildcard too"
            f" (write {head!r} for {meaning})"
        )

    def number(index: int) -> int | None:
        return int(parts[index]) if index < wildcard else None

    major, minor, patch = number(0), number(1), number(2)
    pre = match.group("pre") if patch is not None else None  # npm drops it after a wildcard: 1.x.x-rc is 1.x
    return _Partial(major, minor, patch, pre)


def _comparator(operator: str, major: int, minor: int, patch: int, pre: str | None = None) -> Comparator:
    text = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    return Comparator(operator, sort_key(Version(text)), (major, minor, patch), bool(pre))


def _bump(p: _Partial) -> tuple[int, int, int]:
    """The first version above a partial version (1 → 2.0.0, 1.2 → 1.3.0)."""
    assert p.major is not None
    if p.minor is None:
        return (p.major + 1, 0, 0)
    return (p.major, p.minor + 1, 0)


def _desugar(operator: str, p: _Partial) -> list[Comparator]:
    if p.major is None:  # *, x: anything (but a prerelease)
        return [] if operator not in ("<", ">") else [_comparator("<", 0, 0, 0, "0")]
    major, minor, patch = p.major, p.minor or 0, p.patch or 0
    partial = p.minor is None or p.patch is None
    if operator in ("", "="):
        if not partial:
            return [_comparator("=", major, minor, patch, p.pre)]
        return [_comparator(">=", major, minor, 0), _comparator("<", *_bump(p), "0")]
    if operator in ("~", "~>"):
        upper = (major + 1, 0, 0) if p.minor is None else (major, minor + 1, 0)
        return [_comparator(">=", major, minor, patch, p.pre), _comparator("<", *upper, "0")]
    if operator == "^":
        if major != 0 or p.minor is None:
            upper = (major + 1, 0, 0)
        elif minor != 0 or p.patch is None:
            upper = (0, minor + 1, 0)
        else:
            upper = (0, 0, patch + 1)
        return [_comparator(">=", major, minor, patch, p.pre), _comparator("<", *upper, "0")]
    if not partial:
        return [_comparator(operator, major, minor, patch, p.pre)]
    if operator == ">=":
        return [_comparator(">=", major, minor, 0)]
    if operator == ">":
        return [_comparator(">=", *_bump(p))]
    if operator == "<":
        return [_comparator("<", major, minor, 0, "0")]
    return [_comparator("<", *_bump(p), "0")]  # <=


def _parse_set(text: str) -> tuple[Comparator, ...]:
    text = text.strip()
    hyphen = _HYPHEN.match(text)
    if hyphen:
        low, high = _partial(hyphen.group("low")), _partial(hyphen.group("high"))
        out = _desugar(">=", low) if low.major is not None else []
        if high.major is not None:
            if high.minor is None or high.patch is None:
                out.append(_comparator("<", *_bump(high), "0"))
            else:
                out.append(_comparator("<=", high.major, high.minor, high.patch, high.pre))
        return tuple(out)
    comparators: list[Comparator] = []
    for token in _OPERATOR_SPACE.sub(r"\1", text).split():
        match = _COMPARATOR.fullmatch(token)
        if match is None:
            raise RangeSyntaxError(f"invalid comparator {token!r}")
        comparators.extend(_desugar(match.group("op") or "", _partial(match.group("version"))))
    return tuple(comparators)


def parse_comparator_sets(text: str) -> tuple[tuple[Comparator, ...], ...]:
    """The comparator sets of an npm range; raises RangeSyntaxError."""
    if not text.strip():
        raise RangeSyntaxError("empty range")
    parts = text.split("||")
    if any(not part.strip() for part in parts) and len(parts) > 1:
        raise RangeSyntaxError("empty alternative around '||'")
    return tuple(_parse_set(part) for part in parts)


def satisfies(sets: tuple[tuple[Comparator, ...], ...], version: Version) -> bool:
    """Does ``version`` satisfy one of the comparator sets, by npm's rules?"""
    key = sort_key(version)
    core = (version.major, version.minor, version.patch)
    for comparators in sets:
        if not all(c.holds(key) for c in comparators):
            continue
        if version.prerelease and not any(c.prerelease and c.core == core for c in comparators):
            continue
        return True
    return False


@dataclass(frozen=True, slots=True)
class VersionRange:
    """An npm-style range: ``^1.2``, ``~1.2.3``, ``>=1.0 <2``, ``1.x``, ``1.2 - 1.4``, ``a || b``."""

    text: str
    sets: tuple[tuple[Comparator, ...], ...]

    def match(self, version: Version) -> bool:
        """npm's answer: does ``version`` satisfy the range (prereleases only when named)?"""
        return satisfies(self.sets, version)

    @property
    def names_prerelease(self) -> bool:
        """Does any comparator name a prerelease (the only way a prerelease can match)?"""
        return any(comparator.prerelease for comparators in self.sets for comparator in comparators)

    def __str__(self) -> str:
        return self.text


def parse_range(value: object, field: str = "range") -> VersionRange:
    """An npm-style range; raises ValidationError (``invalid_range``)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"invalid range {value!r}", code="invalid_range", field=field)
    return _parse_range(value, field)


@functools.lru_cache(maxsize=4096)
def _parse_range(value: str, field: str) -> VersionRange:
    # Ranges repeat (every fine-tune pins ^3.0 of its base); parsing one costs ~15 µs.
    try:
        sets = parse_comparator_sets(value)
    except (RangeSyntaxError, ValueError) as exc:
        raise ValidationError(f"invalid range {value!r}: {exc}", code="invalid_range", field=field) from None
    return VersionRange(value, sets)
