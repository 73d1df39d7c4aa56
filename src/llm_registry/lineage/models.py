"""What lineage queries answer: a graph of versions, an impact report, a lockfile and its check."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_registry.domain.kinds import Kind

MISSING = "missing"  # the status of a node whose pinned version was deleted by force


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    BOTH = "both"


class LineageNode(BaseModel):
    """A version in a lineage graph; ``status`` is ``missing`` for a dangling pin."""

    model_config = ConfigDict(frozen=True)

    ref: str
    kind: Kind
    name: str
    version: str
    digest: str
    status: str


def node(kind: str, namespace: str, name: str, version: str, digest: str, status: str) -> LineageNode:
    """The node of a version, from its stored columns."""
    return LineageNode(
        ref=f"{kind}:{namespace}/{name}@{version}",
        kind=Kind(kind),
        name=f"{namespace}/{name}",
        version=version,
        digest=digest,
        status=status,
    )


class LineageEdge(BaseModel):
    """``from`` pins ``to`` with ``relation`` (edges point from dependent to dependency)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: str = Field(alias="from")
    to: str
    relation: str


class LineageGraph(BaseModel):
    root: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class ImpactItem(BaseModel):
    """A version that depends on the root; ``path`` runs from the root to it, ``depth`` edges long."""

    ref: str
    kind: Kind
    name: str
    version: str
    digest: str
    status: str
    depth: int
    relation: str
    path: list[str]


class ImpactReport(BaseModel):
    root: LineageNode
    items: list[ImpactItem]


class LockDependency(BaseModel):
    ref: str
    relation: str


class LockEntry(BaseModel):
    ref: str
    kind: Kind
    name: str
    version: str
    digest: str
    dependencies: list[LockDependency] = Field(default_factory=list)


class LockRoot(BaseModel):
    ref: str
    resolved: str


class Lockfile(BaseModel):
    """The transitive closure of the pins of ``roots``; entries sorted by ref."""

    lockfile_version: Literal[1] = 1
    generated_at: str
    roots: list[LockRoot]
    entries: list[LockEntry]


class VerifyStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"
    DIGEST_CHANGED = "digest_changed"
    YANKED = "yanked"


class VerifyEntry(BaseModel):
    ref: str
    status: VerifyStatus
    expected_digest: str
    actual_digest: str | None = None
    message: str


class VerifyReport(BaseModel):
    """``ok`` is true when every entry is ``ok``."""

    ok: bool
    entries: list[VerifyEntry]
