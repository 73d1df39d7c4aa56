"""SemVer 2.0.0 versions and their precedence.

Parsing is semantic_version's. What we add is a precedence key that the databases can sort
by: ``(major, minor, patch, prerelease_key)`` where ``prerelease_key`` is an ASCII string
whose byte order is SemVer precedence, so ``ORDER BY`` in SQL and sorting in Python agree.
Ranges (``domain.ranges``) build on this module; it knows nothing of them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

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
