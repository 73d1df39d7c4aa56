"""References: ``kind:namespace/name[@selector]``.

The selector is an exact version (``1.2.0``), an npm range (``^1.2``), an alias
(``production``) or a digest (``sha256:…``, or its first 12 or more hex digits); none means
``latest``. Alias names start with
a letter, so they never read as versions or ranges (a lone ``x`` is the wildcard range).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from llm_registry.domain.digests import MIN_PREFIX_HEX, is_digest, is_digest_prefix
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import DEFAULT_NAMESPACE, AssetName, is_alias_name, parse_name
from llm_registry.domain.patterns import ALIAS, NAME, RANGE, SEMVER, SPACE
from llm_registry.domain.ranges import VersionRange, parse_range
from llm_registry.domain.versions import Version, parse_version
from llm_registry.errors import ValidationError

LATEST = "latest"
_KIND = "(?:" + "|".join(kind.value for kind in Kind) + ")"
_SPACE = SPACE
_SELECTOR = (rf"(?:{LATEST}|sha256:[0-9a-f]{{{MIN_PREFIX_HEX},64}}|{ALIAS}|{SEMVER}"
             rf"|{RANGE})")
# The parser strips whitespace around the whole reference and around the selector.
REFERENCE_PATTERN = rf"{_SPACE}*{_KIND}:{NAME}(?:@{_SPACE}*{_SELECTOR}{_SPACE}*)?{_SPACE}*"
"""``kind:namespace/name[@selector]`` as ``parse_reference`` takes it (see ``domain.patterns``)."""


def kind_reference_pattern(kind: Kind) -> str:
    """A reference to an asset of ``kind`` as ``parse_reference(..., kind=kind)`` takes it: the
    kind may be left out, and must be ``kind`` when given."""
    return rf"{_SPACE}*(?:{kind.value}:)?{NAME}(?:@{_SPACE}*{_SELECTOR}{_SPACE}*)?{_SPACE}*"


class SelectorType(StrEnum):
    LATEST = "latest"
    VERSION = "version"
    RANGE = "range"
    ALIAS = "alias"
    DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Reference:
    kind: Kind
    name: AssetName
    selector_type: SelectorType = SelectorType.LATEST
    selector: str | None = None
    version: Version | None = None
    range: VersionRange | None = None

    @property
    def asset(self) -> str:
        """``kind:namespace/name`` without selector."""
        return f"{self.kind.value}:{self.name}"

    def __str__(self) -> str:
        return self.asset if self.selector is None else f"{self.asset}@{self.selector}"

    def with_version(self, version: str) -> Reference:
        return Reference(self.kind, self.name, SelectorType.VERSION, version, parse_version(version))


def parse_reference(
    value: object,
    *,
    field: str = "ref",
    default_namespace: str = DEFAULT_NAMESPACE,
    kind: Kind | None = None,
) -> Reference:
    """Parse a reference; raises ValidationError (``invalid_reference`` or the part's own code).

    ``kind`` supplies the kind when the text has none (and must agree when it has one).
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(f"invalid reference {value!r}", code="invalid_reference", field=field)
    return _parse_reference(value, field, default_namespace, kind)


@functools.lru_cache(maxsize=8192)
def _parse_reference(value: str, field: str, default_namespace: str, kind: Kind | None) -> Reference:
    # References are immutable values and the same few are read over and over.
    text = value.strip()
    head, at, selector = text.partition("@")
    if ":" in head:
        kind_text, _, name_text = head.partition(":")
        parsed_kind = parse_kind(kind_text, field=field)
        if kind is not None and parsed_kind is not kind:
            raise ValidationError(
                f"reference {value!r} names kind {parsed_kind.value!r}, expected {kind.value!r}",
                code="invalid_reference",
                field=field,
            )
    elif kind is not None:
        parsed_kind, name_text = kind, head
    else:
        raise ValidationError(
            f"invalid reference {value!r}: expected 'kind:namespace/name[@selector]'",
            code="invalid_reference",
            field=field,
        )
    name = parse_name(name_text, default_namespace=default_namespace, field=field)
    if not at:
        return Reference(parsed_kind, name)
    selector = selector.strip()
    if not selector:
        raise ValidationError(
            f"invalid reference {value!r}: empty selector after '@'", code="invalid_reference", field=field
        )
    if selector == LATEST:
        return Reference(parsed_kind, name, SelectorType.LATEST, LATEST)
    if selector.startswith("sha256:"):
        if not (is_digest(selector) or is_digest_prefix(selector)):
            raise ValidationError(
                f"invalid digest in reference {value!r}: 'sha256:' and 64 lowercase hex digits, or at least the"
                f" first {MIN_PREFIX_HEX} of them",
                code="invalid_digest", field=field,
            )
        return Reference(parsed_kind, name, SelectorType.DIGEST, selector)
    if is_alias_name(selector):
        return Reference(parsed_kind, name, SelectorType.ALIAS, selector)
    try:
        version = parse_version(selector, field=field)
    except ValidationError:
        pass
    else:
        return Reference(parsed_kind, name, SelectorType.VERSION, selector, version=version)
    try:
        version_range = parse_range(selector, field=field)
    except ValidationError as error:
        # The range's reason says what is wrong when a range was meant (1.x.5, ^1.2.3.4).
        raise ValidationError(
            f"invalid selector {selector!r} in reference {value!r}: not a version, range, alias or digest"
            f" ({error.message})",
            code="invalid_reference",
            field=field,
        ) from None
    return Reference(parsed_kind, name, SelectorType.RANGE, selector, range=version_range)
