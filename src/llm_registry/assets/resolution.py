"""How a reference chooses a version (§2): exact, digest, alias, range, or latest."""

from __future__ import annotations

from llm_registry.assets.interfaces import PinTarget, VersionReader, VersionRow
from llm_registry.domain.digests import is_digest
from llm_registry.domain.references import LATEST, Reference, SelectorType
from llm_registry.domain.versions import cached_version, version_key
from llm_registry.errors import NotFoundError, ValidationError


def find_by_reference(reader: VersionReader, ref: Reference, *, field: str | None = "ref") -> VersionRow | None:
    """The version ``ref`` chooses, or None. Ranges never choose yanked versions, nor
    prereleases unless the range names one; ``latest`` is the highest active release."""
    selector = ref.selector_type
    if selector is SelectorType.VERSION:
        assert ref.version is not None
        row = reader.find_version(ref.kind, ref.name, version_key(ref.version))
        if row is not None and ref.version.build and row.version != ref.selector:
            return None
        return row
    if selector is SelectorType.DIGEST:
        assert ref.selector is not None
        digest = ref.selector if is_digest(ref.selector) else _complete_digest(reader, ref, ref.selector, field)
        return None if digest is None else reader.find_version_by_digest(ref.kind, ref.name, digest)
    if selector is SelectorType.ALIAS:
        assert ref.selector is not None
        return reader.find_version_by_alias(ref.kind, ref.name, ref.selector)
    chosen = _choose_by_number(reader, ref)
    return reader.get_version_by_id(chosen) if chosen is not None else None


def _complete_digest(reader: VersionReader, ref: Reference, prefix: str, field: str | None) -> str | None:
    """The one digest of the asset's versions that starts with ``prefix`` (None: no such digest);
    raises ValidationError (``ambiguous_reference``) listing the candidates when several do."""
    found = reader.find_digests(ref.kind, ref.name, prefix, limit=_MAX_CANDIDATES + 1)
    if len(found) > 1:
        shown = ", ".join(found[:_MAX_CANDIDATES]) + (" …" if len(found) > _MAX_CANDIDATES else "")
        raise ValidationError(
            f"{prefix} is the start of several digests of {ref.asset}: {shown}; give more of it",
            code="ambiguous_reference",
            field=field or "ref",
            details={"candidates": found[:_MAX_CANDIDATES]},
        )
    return found[0] if found else None


_MAX_CANDIDATES = 10


def _choose_by_number(reader: VersionReader, ref: Reference) -> str | None:
    """The id of the version a range or ``latest`` chooses, read from the precedence index alone."""
    if ref.selector_type is SelectorType.LATEST:
        numbers = reader.iter_version_numbers(ref.kind, ref.name, include_prerelease=False, only_active=True)
        first = next(iter(numbers), None)
        return first[0] if first is not None else None
    assert ref.range is not None
    # A range that names no prerelease can never match one: let the index skip them.
    include_prerelease = ref.range.names_prerelease
    for version_id, number in reader.iter_version_numbers(
        ref.kind, ref.name, include_prerelease=include_prerelease, only_active=False
    ):
        if ref.range.match(cached_version(number)):
            return version_id
    return None


def get_by_reference(
    reader: VersionReader, ref: Reference, *, code: str = "version_not_found", field: str | None = None
) -> VersionRow:
    """Like ``find_by_reference``; raises NotFoundError saying whether the asset or the version is missing."""
    row = find_by_reference(reader, ref, field=field)
    if row is None:
        raise _not_found(reader, ref, code, field)
    return row


def get_pin_target(reader: VersionReader, ref: Reference, *, code: str, field: str) -> PinTarget:
    """The version a dependency constraint chooses, as its pin records it; the same choice and
    errors as ``get_by_reference``, without reading the whole version when a range chooses."""
    if ref.selector_type in (SelectorType.RANGE, SelectorType.LATEST):
        chosen = _choose_by_number(reader, ref)
        if chosen is None:
            raise _not_found(reader, ref, code, field)
        return reader.get_pin_target(chosen)
    row = get_by_reference(reader, ref, code=code, field=field)
    return PinTarget(row.id, row.asset_id, row.version, row.digest)


def _not_found(reader: VersionReader, ref: Reference, code: str, field: str | None) -> NotFoundError:
    """The error for a reference that chose nothing: is the asset or the version missing?"""
    if reader.find_asset(ref.kind, ref.name) is None:
        return NotFoundError(
            f"no asset {ref.asset}", code="asset_not_found" if code == "version_not_found" else code, field=field
        )
    if ref.selector_type is SelectorType.ALIAS:
        return NotFoundError(
            f"{ref.asset} has no alias {ref.selector!r}",
            code="alias_not_found" if code == "version_not_found" else code,
            field=field,
        )
    if ref.selector_type is SelectorType.LATEST or ref.selector == LATEST:
        return NotFoundError(f"{ref.asset} has no active release version", code=code, field=field)
    return NotFoundError(f"no version of {ref.asset} matches {ref.selector!r}", code=code, field=field)
