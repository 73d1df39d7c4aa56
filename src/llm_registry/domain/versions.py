"""SemVer 2.0.0 versions and npm-style ranges.

Parsing and range matching are semantic_version's (its ``NpmSpec`` follows npm's rules,
including "a range only picks a prerelease when it names one on the same
major.minor.patch"). What we add is a precedence key that the databases can sort by:
``(major, minor, patch, prerelease_key)`` where ``prerelease_key`` is an ASCII string whose
byte order is SemVer precedence, so ``ORDER BY`` in SQL and sorting in Python agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from semantic_version import Version as Version

from llm_registry.errors import ValidationError

# Stored in 64-bit integer columns.
_MAX_COMPONENT = 2**63 - 1
# A release sorts after every prerelease of the same major.minor.patch: '~' is above
# '0' and '1', the first characters of every encoded prerelease.
_RELEASE_KEY = "~"
# Between identifiers; below every character an encoded identifier can hold, so that
# a shorter list of identifiers sorts first when it is a prefix of a longer one.
_SEPARATOR = "!"


class SortKey(NamedTuple):
    major: int
    minor: int
    patch: int
    prerelease: str


def parse_version(value: object, field: str = "version") -> Version:
    """A strict SemVer 2.0.0 version; raises ValidationError (``invalid_version``)."""
    if isinstance(value, Version):
        return value
    if not isinstance(value, str):
        raise ValidationError(
            f"version must be a string, got {type(value).__name__}", code="invalid_version", field=field
        )
    try:
        version = cached_version(value)
    except ValueError as exc:
        raise ValidationError(f"invalid version {value!r}: {exc}", code="invalid_version", field=field) from None
    if max(version.major, version.minor, version.patch) > _MAX_COMPONENT:
        raise ValidationError(f"invalid version {value!r}: component too large", code="invalid_version", field=field)
    return version


@functools.lru_cache(maxsize=16384)
def cached_version(text: str) -> Version:
    """``Version(text)``, remembered: stored versions are parsed again on every range
    resolution and a parse costs a few microseconds. Raises ValueError like ``Version``."""
    return Version(text)


def version_key(version: Version) -> str:
    """The version without build metadata: two versions with the same key conflict."""
    if not version.build:
        return str(version)
    return str(Version(major=version.major, minor=version.minor, patch=version.patch, prerelease=version.prerelease))


def _encode_identifier(identifier: str) -> str:
    if identifier.isdigit():
        # Numeric identifiers have no leading zeros, so a longer one is larger: prefix
        # the length to make the byte order numeric. '0' sorts numeric before alphanumeric.
        return f"0{len(identifier):03d}{identifier}"
    return "1" + identifier


def sort_key(version: Version) -> SortKey:
    """SemVer precedence as a tuple whose natural (and SQL byte-wise) order is correct."""
    if version.prerelease:
        pre = _SEPARATOR.join(_encode_identifier(part) for part in version.prerelease)
    else:
        pre = _RELEASE_KEY
    return SortKey(version.major, version.minor, version.patch, pre)


@dataclass(frozen=True, slots=True)
class VersionRange:
    """An npm-style range: ``^1.2``, ``~1.2.3``, ``>=1.0 <2``, ``1.x``, ``1.2 - 1.4``, ``a || b``."""

    text: str
    sets: tuple[tuple[Any, ...], ...]  # ranges.Comparator sets

    def match(self, version: Version) -> bool:
        """npm's answer: does ``version`` satisfy the range (prereleases only when named)?"""
        from llm_registry.domain.ranges import satisfies  # ranges builds on this module

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
    from llm_registry.domain.ranges import RangeSyntaxError, parse_comparator_sets

    try:
        sets = parse_comparator_sets(value)
    except (RangeSyntaxError, ValueError) as exc:
        raise ValidationError(f"invalid range {value!r}: {exc}", code="invalid_range", field=field) from None
    return VersionRange(value, sets)
