"""The registry's textual rules as regular expressions, written once.

The parsers match with them (``re.fullmatch``), and the REST API states them as ``pattern``s
in its OpenAPI document (anchored with ``^…$``), so a client, a generator or a fuzzer knows
what the server refuses before it asks. Each is both a Python and an ECMA-262 (JSON Schema)
regular expression: ASCII classes (``[0-9]``, never ``\\d``), no named groups, no ``\\Z``.

Where a parser's rule is more than a regular expression (SemVer's precedence, npm's ranges),
the parser stays the definition and the expression here is checked against it
(tests/api/test_schema_patterns.py): both accept exactly the same strings. The pattern of a
whole reference, which names the kinds, is ``references.REFERENCE_PATTERN``.
"""

from __future__ import annotations

# What ``str.split()`` and ``str.strip()`` take for whitespace (the parsers of references and
# ranges split and strip): every character for which ``str.isspace()`` holds.
SPACE = r"[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

# Lowercase letters, digits, '.', '_' and '-', starting with a letter or digit: a namespace,
# the name within it, a username and a signer's name.
NAME_PART = r"[a-z0-9][a-z0-9._-]{0,63}"
NAME = rf"(?:{NAME_PART}/)?{NAME_PART}"
"""``namespace/name``, or ``name`` in the default namespace."""
USERNAME = NAME_PART
SIGNER = NAME_PART
# Alias names start with a letter so that they never read as a version or a range (a lone "x"
# is the wildcard range, not an alias; "latest" is implicit).
ALIAS = r"[a-z][a-z0-9._-]{0,63}"
NOT_ALIASES = ("x",)

DIGEST = r"sha256:[0-9a-f]{64}"
# A file of a multi-file version (domain.paths, which also refuses two paths naming one file):
# relative, "/" between segments, none empty, "." or "..", no backslash nor control character.
_PATH_SEGMENT = r"(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f]+"
FILE_PATH = rf"{_PATH_SEGMENT}(?:/{_PATH_SEGMENT})*"
# The start of a digest that a reference may give instead of all of it, as git takes short hashes.
MIN_PREFIX_HEX = 12
DIGEST_PREFIX = rf"sha256:[0-9a-f]{{{MIN_PREFIX_HEX},63}}"

TAG = r"[a-z0-9][a-z0-9._:+-]{0,63}"
ANNOTATION_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}"
_LICENSE_ID = r"[A-Za-z0-9][A-Za-z0-9.+-]{0,63}"
SPDX = rf"{_LICENSE_ID}(?: (?:AND|OR|WITH) {_LICENSE_ID})*"
"""An SPDX license identifier or expression (``apache-2.0``, ``MIT OR Apache-2.0``)."""

EVENT_TYPE = r"[a-z][a-z_]{0,31}\.[a-z][a-z_]{0,31}"
"""Shaped like an event type (``area.action``)."""


def decimal_at_most(limit: int) -> str:
    """The decimal numbers from 0 to ``limit`` without leading zeros, as a regular expression."""
    digits = str(limit)
    width = len(digits)
    alternatives = ["0"] if width == 1 else ["0", "[1-9]" + (f"[0-9]{{0,{width - 2}}}" if width > 2 else "")]
    # Numbers as long as the limit: equal to it up to a lower digit, then any digits.
    for index, digit in enumerate(digits):
        lowest, highest = (1 if index == 0 else 0), int(digit) - 1
        if highest >= lowest:
            rest = width - index - 1
            span = str(lowest) if highest == lowest else f"[{lowest}-{highest}]"
            alternatives.append(digits[:index] + span + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "(?:" + "|".join(dict.fromkeys(alternatives)) + ")"


# SemVer 2.0.0 (semver.org's grammar); major, minor and patch are kept in 64-bit columns.
_COMPONENT = decimal_at_most(2**63 - 1)
_NUMERIC = r"(?:0|[1-9][0-9]*)"
_IDENTIFIER = rf"(?:{_NUMERIC}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_PRERELEASE = rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*"
_BUILD = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
SEMVER = rf"{_COMPONENT}\.{_COMPONENT}\.{_COMPONENT}(?:-{_PRERELEASE})?(?:\+{_BUILD})?"
"""An exact SemVer 2.0.0 version (``1.2.0``, ``2.0.0-rc.1``, ``1.0.0+build.5``)."""

# npm ranges as domain.ranges reads them: partial versions (x, X and * as wildcards, never a
# number after one), a prerelease only after a third part, build metadata ignored; comparators
# joined by whitespace, hyphen ranges, sets joined by "||".
_WILD = r"[xX*]"
_ANY_PRERELEASE = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_PARTIAL = (
    rf"v?(?:{_NUMERIC}(?:\.{_NUMERIC}(?:\.{_NUMERIC}(?:-{_PRERELEASE})?|\.{_WILD}(?:-{_ANY_PRERELEASE})?)?"
    rf"|\.{_WILD}(?:\.{_WILD}(?:-{_ANY_PRERELEASE})?)?)?"
    rf"|{_WILD}(?:\.{_WILD}(?:\.{_WILD}(?:-{_ANY_PRERELEASE})?)?)?)(?:\+{_BUILD})?"
)
# The parser joins an operator to what follows it, so "> = 1" is ">=1".
_COMPARATOR = rf"(?:<{SPACE}*=|>{SPACE}*=|<|>|=|~{SPACE}*>|~|\^)?{SPACE}*{_PARTIAL}"
_SET = rf"(?:{_PARTIAL}{SPACE}+-{SPACE}+{_PARTIAL}|{_COMPARATOR}(?:{SPACE}+{_COMPARATOR})*)"
RANGE = rf"{SPACE}*{_SET}{SPACE}*(?:\|\|{SPACE}*{_SET}{SPACE}*)*"
"""An npm-style range (``^1.2``, ``~1.2.3``, ``>=1.0 <2``, ``1.x``, ``1.2 - 1.4``, ``a || b``)."""

def anchored(pattern: str) -> str:
    """``pattern`` as a JSON Schema ``pattern`` (which matches anywhere unless anchored)."""
    return f"^(?:{pattern})$"
