"""Value types every part of the registry shares: kinds, names, versions, ranges, references."""

from llm_registry.domain.digests import canonical_json, digest_of, validate_digest
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import AssetName, parse_alias, parse_name
from llm_registry.domain.ranges import VersionRange, parse_range
from llm_registry.domain.references import Reference, SelectorType, parse_reference
from llm_registry.domain.versions import parse_version, sort_key

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
