"""The lineage service: lineage graphs, impact analysis, lockfiles and their verification.

Each query resolves its references, then asks the lineage store for the whole walk in the
same read transaction (one recursive statement in SQL, see ``store_sql``); Python only shapes
the answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetStore
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.times import utc_now
from llm_registry.errors import ValidationError
from llm_registry.lineage.interfaces import EdgeRow, LineageStore, VersionFacts
from llm_registry.lineage.lockfiles import parse_lockfile
from llm_registry.lineage.models import (
    Direction,
    ImpactItem,
    ImpactReport,
    LineageEdge,
    LineageGraph,
    LineageNode,
    LockDependency,
    LockEntry,
    Lockfile,
    LockRoot,
    VerifyEntry,
    VerifyReport,
    VerifyStatus,
    node,
)

MAX_DEPTH = 100
MAX_LOCK_REFS = 1000
_IMPACT_ITEMS = TypeAdapter(list[ImpactItem])
_RELATIONS = ("derived_from", "trained_on", "evaluated_on", "uses", "requires", "governed_by", "tested_by")


def parse_direction(value: str | Direction) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise ValidationError(
            f"direction must be up, down or both, not {value!r}", code="invalid_parameter", field="direction"
        ) from None


def check_depth(depth: int | None) -> int | None:
    if depth is not None and not 0 <= depth <= MAX_DEPTH:
        raise ValidationError(f"depth must be between 0 and {MAX_DEPTH}", code="invalid_parameter", field="depth")
    return depth


def check_relations(relations: Sequence[str]) -> list[str]:
    for relation in relations:
        if relation not in _RELATIONS:
            raise ValidationError(
                f"unknown relation {relation!r}; expected one of {', '.join(_RELATIONS)}",
                code="invalid_parameter",
                field="relation",
            )
    return sorted(set(relations))


class LineageService:
    """Lineage, impact and lockfiles; raises NotFoundError for a reference that chooses nothing.

    ``store`` opens the read transactions, ``assets`` parses references, and ``lineage_store``
    walks the pins in those transactions (its backend is the store's, wired by ``bootstrap``).
    """

    def __init__(
        self,
        store: AssetStore,
        assets: AssetContext,
        lineage_store: LineageStore,
        *,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.store = store
        self.assets = assets
        self.lineage_store = lineage_store
        self.clock = clock

    def lineage(
        self,
        ref: str,
        *,
        direction: str | Direction = Direction.BOTH,
        depth: int | None = None,
        relations: Sequence[str] = (),
    ) -> LineageGraph:
        """The graph around the version ``ref`` chooses: its pins (up), its dependents (down) or both."""
        chosen = parse_direction(direction)
        depth = check_depth(depth)
        wanted = check_relations(relations)
        parsed = self.assets.parse_reference(ref)
        with self.store.read() as tx:
            row = get_by_reference(tx, parsed)
            edges = self.lineage_store.walk(tx, [row.id], chosen, depth=depth, relations=wanted)
        root = node(row.kind.value, row.namespace, row.name, row.version, row.digest, row.status)
        return _graph(root, edges)

    def impact(self, ref: str, *, relations: Sequence[str] = ()) -> ImpactReport:
        """Every version that depends on ``ref``'s version, directly or transitively, each with
        its shortest path from it; nearest first."""
        wanted = check_relations(relations)
        parsed = self.assets.parse_reference(ref)
        with self.store.read() as tx:
            row = get_by_reference(tx, parsed)
            edges, facts = self.lineage_store.dependents(tx, row.id, relations=wanted)
        root = node(row.kind.value, row.namespace, row.name, row.version, row.digest, row.status)
        return ImpactReport(root=root, items=_impact_items(row.id, root, edges, facts))

    def lock(self, refs: Sequence[str]) -> Lockfile:
        """The transitive closure of the pins of ``refs`` with digests (two queries plus one per ref)."""
        if not refs:
            raise ValidationError("lock needs at least one reference", code="invalid_parameter", field="refs")
        if len(refs) > MAX_LOCK_REFS:
            raise ValidationError(f"at most {MAX_LOCK_REFS} references", code="invalid_parameter", field="refs")
        parsed = [self.assets.parse_reference(r, field=f"refs[{i}]") for i, r in enumerate(refs)]
        with self.store.read() as tx:
            rows = [get_by_reference(tx, p, field=f"refs[{i}]") for i, p in enumerate(parsed)]
            edges = self.lineage_store.walk(
                tx, sorted({r.id for r in rows}), Direction.UP, depth=None, relations=()
            )
        entries: dict[str, LockEntry] = {}

        def entry(n: LineageNode) -> LockEntry:
            found = entries.get(n.ref)
            if found is None:
                found = entries[n.ref] = LockEntry(
                    ref=n.ref, kind=n.kind, name=n.name, version=n.version, digest=n.digest
                )
            return found

        roots = []
        for ref, row in zip(refs, rows, strict=True):
            root = node(row.kind.value, row.namespace, row.name, row.version, row.digest, row.status)
            entry(root)
            roots.append(LockRoot(ref=str(ref), resolved=root.ref))
        for edge in edges:
            entry(edge.target)
            entry(edge.source).dependencies.append(LockDependency(ref=edge.target.ref, relation=edge.relation))
        for item in entries.values():
            item.dependencies.sort(key=lambda d: (d.ref, d.relation))
        return Lockfile(generated_at=self.clock(), roots=roots, entries=sorted(entries.values(), key=lambda e: e.ref))

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        """Check every entry still exists with its digest and is not yanked (one query)."""
        lockfile = lock if isinstance(lock, Lockfile) else parse_lockfile(lock)
        keys = []
        for item in lockfile.entries:
            namespace, _, name = item.name.partition("/")
            keys.append((item.kind.value, namespace, name, item.version))
        with self.store.read() as tx:
            found = self.lineage_store.find_versions(tx, keys)
        results = [_check(item, found.get(key)) for item, key in zip(lockfile.entries, keys, strict=True)]
        return VerifyReport(ok=all(r.status is VerifyStatus.OK for r in results), entries=results)


def _check(item: LockEntry, current: LineageNode | None) -> VerifyEntry:
    if current is None:
        return VerifyEntry(
            ref=item.ref, status=VerifyStatus.MISSING, expected_digest=item.digest, message="no longer registered"
        )
    if current.digest != item.digest:
        return VerifyEntry(
            ref=item.ref,
            status=VerifyStatus.DIGEST_CHANGED,
            expected_digest=item.digest,
            actual_digest=current.digest,
            message=f"digest is now {current.digest}",
        )
    if current.status == "yanked":
        return VerifyEntry(
            ref=item.ref,
            status=VerifyStatus.YANKED,
            expected_digest=item.digest,
            actual_digest=current.digest,
            message="no range chooses it any more",
        )
    return VerifyEntry(
        ref=item.ref,
        status=VerifyStatus.OK,
        expected_digest=item.digest,
        actual_digest=current.digest,
        message=current.status,
    )


def _impact_items(
    root_id: str, root: LineageNode, edges: Sequence[tuple[str, str, str]], facts: Mapping[str, VersionFacts]
) -> list[ImpactItem]:
    """Each dependent once, with the shortest path from the root (ties: the path through the
    smallest refs, then relations), nearest first."""
    refs = {version_id: f.ref for version_id, f in facts.items()}
    dependents: dict[str, list[tuple[str, str, str]]] = {}
    for source, target, relation in edges:
        dependents.setdefault(target, []).append((refs[source], relation, source))
    for group in dependents.values():
        group.sort()
    # Breadth-first over version ids: the first visit of a version is along a shortest path.
    paths: dict[str, list[str]] = {root_id: [root.ref]}
    found: list[dict[str, Any]] = []
    queue = deque([root_id])
    while queue:
        current = queue.popleft()
        for ref, relation, source in dependents.get(current, ()):
            if source in paths:
                continue
            path = paths[source] = [*paths[current], ref]
            queue.append(source)
            f = facts[source]
            found.append({"ref": ref, "kind": f.kind, "name": f.name, "version": f.version, "digest": f.digest,
                          "status": f.status, "depth": len(path) - 1, "relation": relation, "path": path})
    found.sort(key=lambda i: (i["depth"], i["ref"]))
    # One validation call for the whole list: tens of thousands of items in bulk.
    return _IMPACT_ITEMS.validate_python(found)


def _graph(root: LineageNode, edges: Sequence[EdgeRow]) -> LineageGraph:
    nodes = {root.ref: root}
    seen: set[tuple[str, str, str]] = set()
    out: list[LineageEdge] = []
    for edge in edges:
        nodes.setdefault(edge.source.ref, edge.source)
        nodes.setdefault(edge.target.ref, edge.target)
        key = (edge.source.ref, edge.target.ref, edge.relation)
        if key not in seen:
            seen.add(key)
            out.append(LineageEdge(from_=edge.source.ref, to=edge.target.ref, relation=edge.relation))
    out.sort(key=lambda e: (e.from_, e.to, e.relation))
    ordered = [root, *sorted((n for r, n in nodes.items() if r != root.ref), key=lambda n: n.ref)]
    return LineageGraph(root=root.ref, nodes=ordered, edges=out)
