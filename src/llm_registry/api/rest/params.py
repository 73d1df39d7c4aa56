"""Path and query parameters shared by the resource modules, and references built from paths."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Path, Query
from starlette.convertors import Convertor, register_url_convertor

from llm_registry.domain import patterns
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName, parse_alias, parse_name
from llm_registry.domain.references import LATEST, REFERENCE_PATTERN, Reference
from llm_registry.domain.versions import parse_version
from llm_registry.errors import ValidationError

T = TypeVar("T")

NAME_PATTERN = patterns.anchored(patterns.NAME_PART)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Cursors are opaque: only a ``next_cursor`` the server answered reads on. What it can be made of:
CURSOR_PATTERN = "^[A-Za-z0-9_=-]*$"

# The first path segments under /v1 that name a resource of their own, never a kind's
# collection: ``/v1/{kinds}`` does not match them, so that a method such a path lacks answers
# 405 (with the methods it has), not 422 for an unknown kind. tests/api/test_contract.py keeps
# this list whole.
RESERVED_SEGMENTS = (
    "api-keys", "approvals", "assets", "audit", "auth", "batch", "blobs", "evaluations", "events", "governance",
    "impact", "lineage", "lock", "namespace-grants", "resolve", "search", "signers", "users", "verify",
)


class CollectionConvertor(Convertor[str]):
    """``{kinds:collection}``: a path segment, unless it is one of ``RESERVED_SEGMENTS``."""

    regex = "(?!(?:" + "|".join(RESERVED_SEGMENTS) + ")(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("collection", CollectionConvertor())


class Collection(StrEnum):
    """The URL collection of each kind (``Kind.plural``)."""

    MODELS = "models"
    DATASETS = "datasets"
    PROMPTS = "prompts"
    PIPELINES = "pipelines"
    POLICIES = "policies"
    TEST_SUITES = "test-suites"

    @property
    def kind(self) -> Kind:
        return Kind.from_plural(self.value)


def rule(pattern: str, **more: object) -> dict[str, object]:
    """A parameter's schema extras stating one of ``domain.patterns``; the domain's own parser
    checks it and answers its own code (``invalid_version``, ``invalid_alias``, …)."""
    return {"pattern": patterns.anchored(pattern), **more}


KindsPath = Annotated[Collection, Path(description="The collection of a kind")]
NamespacePath = Annotated[str, Path(pattern=NAME_PATTERN, description="The asset's namespace")]
NamePath = Annotated[str, Path(pattern=NAME_PATTERN, description="The asset's name within its namespace")]
VersionPath = Annotated[str, Path(max_length=256, description="An exact SemVer 2.0.0 version (`+` as `%2B`)",
                                  json_schema_extra=rule(patterns.SEMVER))]
AliasPath = Annotated[str, Path(
    max_length=64, description="An alias name (`latest` is implicit)",
    json_schema_extra=rule(patterns.ALIAS, **{"not": {"enum": list(patterns.NOT_ALIASES)}}),
)]
SettableAliasPath = Annotated[str, Path(
    max_length=64, description="An alias name (not `latest`, which is implicit)",
    json_schema_extra=rule(patterns.ALIAS, **{"not": {"enum": [*patterns.NOT_ALIASES, LATEST]}}),
)]
CursorQuery = Annotated[str | None, Query(
    max_length=1024, description="The `next_cursor` of the previous page (opaque: 422 `invalid_cursor` for any other)",
    json_schema_extra={"pattern": CURSOR_PATTERN, "format": "cursor"},
)]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
ReferenceQuery = Annotated[str, Query(
    min_length=1, max_length=1024, description="`kind:namespace/name[@selector]`: the selector an exact version, "
    "a range, an alias or a digest (or its first 12 or more hex digits); none means `latest`",
    json_schema_extra=rule(REFERENCE_PATTERN),
)]
EVENT_CURSOR_PATTERN = "^0*" + patterns.decimal_at_most(2**63 - 1) + "$|^$"
"""An event cursor: the number of the last event read (``next_cursor``)."""
EventTypesQuery = Annotated[list[str], Query(
    alias="type", description="Only events of these types (`asset.registered`, …; repeatable)",
    json_schema_extra={"items": {"type": "string", **rule(patterns.EVENT_TYPE)}},
)]
SubjectQuery = Annotated[str | None, Query(
    max_length=1024, description="Only events about this reference (`model:acme/m`, `model:acme/m@1.0.0`); empty: "
    "any", json_schema_extra={"pattern": f"^(?:{REFERENCE_PATTERN})?$"},
)]
EMPTY_OR_TIME = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0},
                          {"type": "null"}]}
"""An ISO-8601 time, or empty (as if not given)."""
TimeQuery = Annotated[str | None, Query(
    max_length=64, description="ISO-8601 time: the labels as they were", json_schema_extra={"format": "date-time"},
)]


def asset_reference(kinds: Collection, namespace: str, name: str) -> Reference:
    """``kind:namespace/name`` from path parameters; raises ValidationError (``invalid_name``)."""
    return Reference(kinds.kind, _name(namespace, name))


def version_reference(kinds: Collection, namespace: str, name: str, version: str) -> Reference:
    """``kind:namespace/name@version`` for an exact version; raises ValidationError (``invalid_version``)."""
    parse_version(version, field="version")
    return asset_reference(kinds, namespace, name).with_version(version)


def alias_name(alias: str) -> str:
    return parse_alias(alias, field="alias")


def _name(namespace: str, name: str) -> AssetName:
    # The path pattern already holds; parsing again keeps the domain's one definition.
    return parse_name(f"{namespace}/{name}", field="name")


def slice_page(items: Sequence[T], cursor: str | None, limit: int) -> tuple[list[T], str | None]:
    """A page of a short list the service answers whole: (items, next cursor by position)."""
    start = 0
    if cursor:
        (start,) = decode_cursor(cursor, arity=1)
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise ValidationError(f"invalid cursor {cursor!r}", code="invalid_cursor", field="cursor")
    end = start + limit
    return list(items[start:end]), encode_cursor([end]) if end < len(items) else None
