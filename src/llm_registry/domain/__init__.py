"""Value types every part of the registry shares: kinds, names, versions, ranges, references.

The names below are imported on first use: a module that needs one domain module (times, kinds)
does not pay for the others (versions and ranges import semantic_version).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_registry.domain.digests import canonical_json, digest_of, validate_digest
    from llm_registry.domain.kinds import Kind, parse_kind
    from llm_registry.domain.names import AssetName, parse_alias, parse_name
    from llm_registry.domain.ranges import VersionRange, parse_range
    from llm_registry.domain.references import Reference, SelectorType, parse_reference
    from llm_registry.domain.versions import parse_version, sort_key

_EXPORTS = {
    **dict.fromkeys(["canonical_json", "digest_of", "validate_digest"], "llm_registry.domain.digests"),
    **dict.fromkeys(["Kind", "parse_kind"], "llm_registry.domain.kinds"),
    **dict.fromkeys(["AssetName", "parse_alias", "parse_name"], "llm_registry.domain.names"),
    **dict.fromkeys(["VersionRange", "parse_range"], "llm_registry.domain.ranges"),
    **dict.fromkeys(["Reference", "SelectorType", "parse_reference"], "llm_registry.domain.references"),
    **dict.fromkeys(["parse_version", "sort_key"], "llm_registry.domain.versions"),
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llm_registry.domain' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AssetName",
    "Kind",
    "Reference",
    "SelectorType",
    "VersionRange",
    "canonical_json",
    "digest_of",
    "parse_alias",
    "parse_kind",
    "parse_name",
    "parse_range",
    "parse_reference",
    "parse_version",
    "sort_key",
    "validate_digest",
]
