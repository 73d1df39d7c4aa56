"""Path and query parameters shared by the resource modules, and references built from paths."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Path, Query

from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName, parse_alias, parse_name
from llm_registry.domain.references import Reference
from llm_registry.domain.versions import parse_version
from llm_registry.errors import ValidationError

T = TypeVar("T")

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ALIAS_PATTERN = r"^[a-z][a-z0-9._-]{0,63}$"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


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


KindsPath = Annotated[Collection, Path(description="The collection of a kind")]
NamespacePath = Annotated[str, Path(pattern=NAME_PATTERN, description="The asset's namespace")]
NamePath = Annotated[str, Path(pattern=NAME_PATTERN, description="The asset's name within its namespace")]
VersionPath = Annotated[str, Path(max_length=256, description="An exact SemVer 2.0.0 version")]
AliasPath = Annotated[str, Path(pattern=ALIAS_PATTERN, description="An alias name (`latest` is implicit)")]
CursorQuery = Annotated[
    str | None, Query(max_length=1024, description="The `next_cursor` of the previous page")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]


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
