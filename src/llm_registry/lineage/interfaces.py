"""The storage contract of lineage: graph walks done by the database, not in Python.

Each method reads in the transaction the service opened (``AssetStore.read()``), so that a walk
sees the same versions as the resolution of its references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from llm_registry.assets.interfaces import AssetReader
from llm_registry.lineage.models import Direction, LineageNode


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One pinned dependency: ``source`` (dependent) pins ``target`` (dependency)."""

    source_id: str
    target_id: str | None  # None when the pinned version was deleted by force
    relation: str
    source: LineageNode
    target: LineageNode


class VersionFacts(NamedTuple):
    """What a lineage node says about a version, as plain values (impact builds thousands)."""

    kind: str
    name: str  # namespace/name
    version: str
    digest: str
    status: str

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}@{self.version}"


class LineageStore(Protocol):
    def walk(
        self,
        tx: AssetReader,
        starts: Sequence[str],
        direction: Direction,
        *,
        depth: int | None,
        relations: Sequence[str],
    ) -> list[EdgeRow]:
        """Every edge reachable from the version ids ``starts`` within ``depth`` edges (None:
        unbounded) following only ``relations`` (empty: all), in one query."""
        ...

    def dependents(
        self, tx: AssetReader, root: str, *, relations: Sequence[str]
    ) -> tuple[list[tuple[str, str, str]], dict[str, VersionFacts]]:
        """Every version that depends on the version id ``root``, directly or transitively
        through ``relations`` (empty: all), in one query that visits each version once:
        (the edges among them and the root as (dependent id, pinned id, relation), the facts of
        each dependent by id)."""
        ...

    def find_versions(
        self, tx: AssetReader, keys: Sequence[tuple[str, str, str, str]]
    ) -> dict[tuple[str, str, str, str], LineageNode]:
        """Nodes of the versions (kind, namespace, name, version) that exist, in one query."""
        ...
