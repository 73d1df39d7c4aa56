"""A lineage graph as Graphviz DOT or Mermaid text."""

from __future__ import annotations

from llm_registry.lineage.models import LineageGraph


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: LineageGraph) -> str:
    """DOT: one node per version (the root bold, missing ones dashed), edges labelled by relation."""
    lines = ["digraph lineage {", "  rankdir=BT;", "  node [shape=box];"]
    for n in graph.nodes:
        style = ', style="bold"' if n.ref == graph.root else (', style="dashed"' if n.status == "missing" else "")
        lines.append(f"  {_quote(n.ref)} [label={_quote(n.ref)}{style}];")
    for e in graph.edges:
        lines.append(f"  {_quote(e.from_)} -> {_quote(e.to)} [label={_quote(e.relation)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: LineageGraph) -> str:
    """Mermaid flowchart; node ids are n0, n1… because refs contain characters Mermaid reserves."""
    ids = {n.ref: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["flowchart BT"]
    for n in graph.nodes:
        label = n.ref.replace('"', "#quot;")
        lines.append(f'  {ids[n.ref]}["{label}"]')
    for e in graph.edges:
        lines.append(f"  {ids[e.from_]} -->|{e.relation}| {ids[e.to]}")
    if graph.root in ids:
        lines.append(f"  style {ids[graph.root]} stroke-width:3px")
    return "\n".join(lines) + "\n"
