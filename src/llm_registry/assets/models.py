"""The version document (§3.1): what a user registers and what the registry answers.

``Manifest`` is the user's block, validated strictly (unknown fields refused). The
registry's answer, ``VersionDocument``, adds identity, status, pins and aliases.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from llm_registry.domain import patterns
from llm_registry.domain.digests import is_digest
from llm_registry.domain.kinds import Kind

_TAG = re.compile(patterns.TAG)
_ANNOTATION_KEY = re.compile(patterns.ANNOTATION_KEY)
_SPDX = re.compile(patterns.SPDX)


def _json_integer(value: Any) -> Any:
    # A JSON integer (1, or 1.0), never a string or a boolean that pydantic would turn into one.
    if isinstance(value, (str, bytes, bool)):
        raise ValueError("expected an integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
"""An integer as JSON writes one: ``"3"`` and ``true`` are refused, ``3.0`` is 3."""
# Bytes. 2**53 (8 PiB) is the largest integer every JSON reader holds exactly (RFC 7493), so a
# client and the registry never disagree on the bound.
MAX_SIZE = 2**53


class Relation(StrEnum):
    DERIVED_FROM = "derived_from"
    TRAINED_ON = "trained_on"
    EVALUATED_ON = "evaluated_on"
    USES = "uses"
    REQUIRES = "requires"
    GOVERNED_BY = "governed_by"
    TESTED_BY = "tested_by"


class Status(StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    YANKED = "yanked"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntry(_Strict):
    # The path rules (domain.paths) are checked at registration, not here: a version read back
    # is shown as it was registered.
    path: str = Field(min_length=1, max_length=1024)
    digest: str
    size: JsonInt = Field(ge=0, le=MAX_SIZE)
    # Optional, and left out of a file's entry when not given (as the document's writer wrote it).
    media_type: str | None = Field(default=None, max_length=255, exclude_if=lambda value: value is None)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        if not is_digest(value):
            raise ValueError("expected 'sha256:' followed by 64 lowercase hex digits")
        return value


class Content(_Strict):
    digest: str | None = None
    size: Annotated[int, Field(ge=0, le=MAX_SIZE), BeforeValidator(_json_integer)] | None = None
    media_type: str | None = Field(default=None, max_length=255)
    uri: str | None = Field(default=None, max_length=2048)
    files: list[FileEntry] | None = None

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not is_digest(value):
            raise ValueError("expected 'sha256:' followed by 64 lowercase hex digits")
        return value

    @field_validator("uri")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(s3|hf|https?|gs|file)://", value):
            raise ValueError("expected a URI with scheme s3://, hf://, gs://, https://, http:// or file://")
        return value


class Dependency(_Strict):
    ref: str = Field(min_length=1, max_length=512)
    relation: Relation


MAX_CARD = 200_000  # characters of a model or dataset card


class Labels(_Strict):
    description: str | None = Field(default=None, max_length=10_000)
    # The card (Markdown) is documentation: a label, so a typo is a new revision, not a new version.
    # Most versions have none: their labels read as they always did, without the key.
    card: str | None = Field(default=None, max_length=MAX_CARD, exclude_if=lambda value: value is None)
    license: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=64)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("license")
    @classmethod
    def _license(cls, value: str | None) -> str | None:
        if value is not None and not _SPDX.fullmatch(value):
            raise ValueError("expected an SPDX license identifier or expression, such as 'apache-2.0' or 'MIT'")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not _TAG.fullmatch(tag):
                raise ValueError(f"invalid tag {tag!r}: lowercase letters, digits and . _ : + -, at most 64")
        # Order of first appearance, without repeats.
        return list(dict.fromkeys(value))

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 128:
            raise ValueError("at most 128 annotations")
        for key, item in value.items():
            if not _ANNOTATION_KEY.fullmatch(key):
                raise ValueError(f"invalid annotation key {key!r}")
            if len(item) > 4096:
                raise ValueError(f"annotation {key!r} is longer than 4096 characters")
        return value


class Manifest(_Strict):
    """The user's block of the version document."""

    kind: Kind
    name: str = Field(max_length=129)
    version: str = Field(max_length=256)
    spec: dict[str, Any] = Field(default_factory=dict)
    content: Content | None = None
    dependencies: list[Dependency] = Field(default_factory=list, max_length=256)
    labels: Labels = Field(default_factory=Labels)
    provenance: dict[str, Any] | None = None


class Pin(BaseModel):
    ref: str
    relation: Relation
    version: str
    digest: str


class VersionDocument(BaseModel):
    """A registered version, as every interface shows it."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    name: str
    version: str
    spec: dict[str, Any]
    content: Content | None = None
    dependencies: list[Dependency]
    labels: Labels
    provenance: dict[str, Any] | None = None
    id: str
    digest: str
    status: Status
    status_message: str | None = None
    replacement: str | None = None
    created_at: str
    created_by: str
    updated_at: str
    revision: int
    pins: list[Pin]
    aliases: list[str]
    # What the policies in force warned of, in the answer to the change that raised them.
    warnings: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)

    @property
    def ref(self) -> str:
        """``kind:namespace/name@version``."""
        return f"{self.kind.value}:{self.name}@{self.version}"


class AssetSummary(BaseModel):
    """An asset: its identity, aliases, latest version and version count."""

    kind: Kind
    name: str
    id: str
    created_at: str
    created_by: str
    latest: str | None
    version_count: int
    aliases: dict[str, str]


class VersionSummary(BaseModel):
    """One line of an asset's version list."""

    version: str
    digest: str
    status: Status
    created_at: str
    created_by: str
    aliases: list[str]


class Alias(BaseModel):
    name: str
    version: str
    implicit: bool = False
    updated_at: str | None = None
    updated_by: str | None = None
    # What the trust policy said of the move (``warn``); only in the answer to a move that has some.
    warnings: list[str] = Field(default_factory=list, exclude_if=lambda value: not value)


class LabelRevision(BaseModel):
    revision: int
    labels: Labels
    created_at: str
    created_by: str


class BatchItem(BaseModel):
    """What became of one document of a batch: ``created``, ``unchanged`` (an identical document
    was registered already) or ``failed`` (``error`` says why; only with ``continue_on_error``)."""

    index: int
    status: str
    ref: str | None = None
    digest: str | None = None
    error: dict[str, Any] | None = None


class BatchResult(BaseModel):
    """A batch registration: one item per document, in order, and the counts."""

    items: list[BatchItem]
    created: int
    unchanged: int
    failed: int

    @classmethod
    def of(cls, items: list[BatchItem]) -> BatchResult:
        counts = dict.fromkeys(("created", "unchanged", "failed"), 0)
        for item in items:
            if item.status in counts:
                counts[item.status] += 1
        return cls(items=items, **counts)


MAX_BATCH = 10_000  # documents in one batch (one transaction)
