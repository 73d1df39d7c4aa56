"""Lineage, impact, lockfiles: both backends, the same cases."""

from __future__ import annotations

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.lineage.formats import to_dot, to_mermaid
from llm_registry.lineage.models import VerifyStatus
from tests.discovery.conftest import QueryCounter, manifest

D = "dataset:acme/qa@1.0.0"
M = "model:acme/base@1.0.0"
FT = "model:acme/tuned@1.0.0"
P = "pipeline:acme/rag@1.0.0"


@pytest.fixture
def diamond(registry: EmbeddedRegistry) -> EmbeddedRegistry:
    """qa <- base <- tuned <- rag, and tuned also trained on qa (a diamond)."""
    registry.register(manifest("dataset", "acme/qa"))
    registry.register(manifest("model", "acme/base", deps=[("dataset:acme/qa@^1", "trained_on")]))
    registry.register(
        manifest(
            "model",
            "acme/tuned",
            deps=[("model:acme/base@1.0.0", "derived_from"), ("dataset:acme/qa@1.0.0", "trained_on")],
        )
    )
    registry.register(manifest("pipeline", "acme/rag", deps=[("model:acme/tuned", "uses")]))
    return registry


def _edges(graph: object) -> set[tuple[str, str, str]]:
    return {(e.from_, e.to, e.relation) for e in graph.edges}  # type: ignore[attr-defined]


def test_upstream_follows_every_pin_once(diamond: EmbeddedRegistry) -> None:
    graph = diamond.lineage(P, direction="up")
    assert graph.root == P
    assert [n.ref for n in graph.nodes] == [P, D, M, FT]
    assert _edges(graph) == {(P, FT, "uses"), (FT, M, "derived_from"), (FT, D, "trained_on"), (M, D, "trained_on")}
    node = graph.nodes[1]
    assert (node.kind.value, node.name, node.version, node.status) == ("dataset", "acme/qa", "1.0.0", "active")
    assert node.digest.startswith("sha256:")


def test_depth_and_relation_filters(diamond: EmbeddedRegistry) -> None:
    assert [n.ref for n in diamond.lineage(P, direction="up", depth=1).nodes] == [P, FT]
    assert diamond.lineage(P, direction="up", depth=0).edges == []
    graph = diamond.lineage(FT, direction="up", relations=["derived_from"])
    assert _edges(graph) == {(FT, M, "derived_from")}


def test_downstream_and_both(diamond: EmbeddedRegistry) -> None:
    down = diamond.lineage(D, direction="down")
    assert {n.ref for n in down.nodes} == {D, M, FT, P}
    both = diamond.lineage(FT, direction="both", depth=1)
    assert _edges(both) == {(P, FT, "uses"), (FT, M, "derived_from"), (FT, D, "trained_on")}


def test_json_shape_dot_and_mermaid(diamond: EmbeddedRegistry) -> None:
    graph = diamond.lineage(FT, direction="up")
    data = graph.model_dump(mode="json")
    assert set(data["nodes"][0]) >= {"ref", "kind", "name", "version", "digest"}
    assert set(data["edges"][0]) == {"from", "to", "relation"}
    dot = to_dot(graph)
    assert dot.startswith("digraph lineage {")
    assert f'"{FT}" -> "{M}" [label="derived_from"]' in dot
    mermaid = to_mermaid(graph)
    assert mermaid.startswith("flowchart BT")
    assert "-->|derived_from|" in mermaid


def test_impact_lists_dependents_with_shortest_paths(diamond: EmbeddedRegistry) -> None:
    report = diamond.impact(D)
    assert report.root.ref == D
    assert [(i.ref, i.depth, i.path) for i in report.items] == [
        (M, 1, [D, M]),
        (FT, 1, [D, FT]),
        (P, 2, [D, FT, P]),
    ]
    assert diamond.impact(P).items == []
    trained = diamond.services.lineage.impact(D, relations=["trained_on"])
    assert [(i.ref, i.depth, i.relation) for i in trained.items] == [(M, 1, "trained_on"), (FT, 1, "trained_on")]


def test_bad_parameters_and_unknown_refs(diamond: EmbeddedRegistry) -> None:
    with pytest.raises(ValidationError) as info:
        diamond.lineage(P, direction="sideways")
    assert (info.value.code, info.value.field) == ("invalid_parameter", "direction")
    with pytest.raises(ValidationError) as info:
        diamond.lineage(P, relations=["likes"])
    assert info.value.field == "relation"
    with pytest.raises(ValidationError):
        diamond.lineage(P, depth=-1)
    with pytest.raises(NotFoundError):
        diamond.lineage("model:acme/nothing@1.0.0")


def test_forced_delete_leaves_a_missing_node(diamond: EmbeddedRegistry) -> None:
    diamond.delete(M, force=True)
    graph = diamond.lineage(FT, direction="up")
    missing = next(n for n in graph.nodes if n.ref == M)
    assert missing.status == "missing"
    assert (FT, M, "derived_from") in _edges(graph)


def test_lineage_and_impact_take_a_fixed_number_of_queries(
    diamond: EmbeddedRegistry, count_queries: QueryCounter
) -> None:
    with count_queries() as statements:
        diamond.lineage(P, direction="both", depth=10)
    assert len(statements) == 2, statements  # resolve the reference, walk the graph
    with count_queries() as statements:
        diamond.impact(D)
    assert len(statements) == 2, statements
    with count_queries() as statements:
        diamond.lock([P, D])
    assert len(statements) == 3, statements  # one per reference, one walk


def test_deep_chain(registry: EmbeddedRegistry) -> None:
    registry.register(manifest("dataset", "deep/n0"))
    for i in range(1, 60):
        kind = "dataset" if i == 1 else "model"
        registry.register(manifest("model", f"deep/n{i}", deps=[(f"{kind}:deep/n{i - 1}", "derived_from")]))
    tail = "model:deep/n59@1.0.0"
    assert len(registry.lineage(tail, direction="up").nodes) == 60
    assert len(registry.lineage(tail, direction="up", depth=10).nodes) == 11
    report = registry.impact("dataset:deep/n0@1.0.0")
    assert len(report.items) == 59
    assert report.items[-1].depth == 59
    assert len(report.items[-1].path) == 60


def test_wide_fan_out_and_an_asset_with_thousands_of_versions(
    registry: EmbeddedRegistry, count_queries: QueryCounter
) -> None:
    for i in range(1, 1201):
        registry.register(manifest("dataset", "wide/big", f"1.{i}.0"))
    for i in range(100):
        registry.register(manifest("model", f"wide/m{i}", deps=[("dataset:wide/big@1.700.0", "trained_on")]))
    with count_queries() as statements:
        report = registry.impact("dataset:wide/big@1.700.0")
    assert len(report.items) == 100
    assert len(statements) == 2
    assert registry.impact("dataset:wide/big@1.701.0").items == []
    graph = registry.lineage("model:wide/m7@1.0.0", direction="up")
    assert [n.ref for n in graph.nodes] == ["model:wide/m7@1.0.0", "dataset:wide/big@1.700.0"]


def test_lock_and_verify(diamond: EmbeddedRegistry) -> None:
    lock = diamond.lock(["pipeline:acme/rag"])
    assert [r.model_dump() for r in lock.roots] == [{"ref": "pipeline:acme/rag", "resolved": P}]
    assert [e.ref for e in lock.entries] == [D, M, FT, P]
    tuned = next(e for e in lock.entries if e.ref == FT)
    assert {(d.ref, d.relation) for d in tuned.dependencies} == {(M, "derived_from"), (D, "trained_on")}
    assert diamond.verify_lock(lock).ok

    diamond.yank(D)
    diamond.delete(P, force=True)
    diamond.delete(FT, force=True)
    changed = manifest("model", "acme/tuned", spec={"architecture": "mistral"})
    diamond.register(changed)
    report = diamond.verify_lock(lock.model_dump(mode="json"))
    assert not report.ok
    statuses = {e.ref: e.status for e in report.entries}
    assert statuses == {
        D: VerifyStatus.YANKED,
        M: VerifyStatus.OK,
        FT: VerifyStatus.DIGEST_CHANGED,
        P: VerifyStatus.MISSING,
    }


def test_lock_refuses_bad_input(diamond: EmbeddedRegistry) -> None:
    with pytest.raises(ValidationError):
        diamond.lock([])
    with pytest.raises(ValidationError) as info:
        diamond.verify_lock({"entries": "nope"})
    assert info.value.field == "lock"
