"""Discovery: ``search``, ``lineage``, ``impact``, ``lock`` and ``verify`` (of a lockfile; of a version, in
``cli.trust``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llm_registry.cli.output import (
    emit_json,
    emit_model,
    next_page_hint,
    notice,
    print_table,
    short_time,
    table,
)
from llm_registry.cli.session import JsonOption, current_state, open_registry

EXIT_CHANGED = 1

RefArgument = Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")]


def search(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(metavar="[QUERY]", help="Words to find (all must match).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    filter: Annotated[
        str | None,
        typer.Option("--filter", metavar="EXPR", help='e.g. \'license = "mit" AND spec.parameters >= 7e9\'.'),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option("--sort", help="relevance, created, updated, name or popularity (default: relevance with a "
                     "query, else created)."),
    ] = None,
    facet: Annotated[
        list[str] | None,
        typer.Option("--facet", metavar="FIELD", help="Count matches per value: kind, namespace, license, status, "
                     "tags, spec.PATH, annotations.KEY (repeatable)."),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Every version, not only the current one of each asset.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="Results per page (1-1000).")] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor", help="Continue after this page cursor.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Find versions by text, filter and facets."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        page = registry.search(
            query, kind=kind, filter=filter, sort=sort, facets=facet or [], all_versions=all_versions,
            cursor=cursor, limit=limit,
        )
    if state.json:
        emit_model(page)
        return
    if not page.items:
        notice("no results")
        return
    print_table(
        table("REF", "STATUS", "LICENSE", "TAGS", "CREATED", "DESCRIPTION"),
        [
            (h.ref, h.status, h.license or "", ",".join(h.tags), short_time(h.created_at), (h.description or "")[:60])
            for h in page.items
        ],
    )
    for name, counts in page.facets.items():
        notice(f"{name}: " + ", ".join(f"{value} ({n})" for value, n in counts.items()))
    next_page_hint(page.next_cursor)


class GraphFormat(StrEnum):
    JSON = "json"
    DOT = "dot"
    MERMAID = "mermaid"


def lineage(
    ctx: typer.Context,
    ref: RefArgument,
    direction: Annotated[
        str, typer.Option("--direction", help="up (what it was built from), down (what uses it) or both.")
    ] = "both",
    depth: Annotated[int | None, typer.Option("--depth", help="At most this many edges away (default: all).")] = None,
    relation: Annotated[
        list[str] | None, typer.Option("--relation", metavar="RELATION", help="Follow only this relation (repeatable).")
    ] = None,
    output_format: Annotated[
        GraphFormat | None, typer.Option("--format", help="json, dot (Graphviz) or mermaid; default: a table.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """The pinned-dependency graph around a version."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        graph = registry.lineage(ref, direction=direction, depth=depth, relations=relation or [])
    chosen = output_format or (GraphFormat.JSON if state.json else None)
    if chosen is GraphFormat.JSON:
        emit_model(graph)
    elif chosen is GraphFormat.DOT:
        from llm_registry.lineage.formats import to_dot

        typer.echo(to_dot(graph), nl=False)
    elif chosen is GraphFormat.MERMAID:
        from llm_registry.lineage.formats import to_mermaid

        typer.echo(to_mermaid(graph), nl=False)
    else:
        print_table(table("FROM", "RELATION", "TO"), [(e.from_, e.relation, e.to) for e in graph.edges])
        notice(f"{len(graph.nodes)} version(s), {len(graph.edges)} edge(s) around {graph.root}")


def impact(ctx: typer.Context, ref: RefArgument, json_output: JsonOption = False) -> None:
    """Every version that depends on this one, directly or transitively, with the path."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        report = registry.impact(ref)
    if state.json:
        emit_model(report)
        return
    print_table(
        table("DEPENDENT", "DEPTH", "RELATION", "STATUS", "PATH"),
        [(i.ref, str(i.depth), i.relation, i.status, " <- ".join(i.path)) for i in report.items],
    )
    notice(f"{len(report.items)} version(s) depend on {report.root.ref}")


def lock(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="REF...", help="References to lock (ranges, aliases…).")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the lockfile here (.yaml/.yml: YAML; else JSON).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Write the transitive closure of the pins of REF... with digests."""
    from llm_registry.lineage.lockfiles import render_lockfile, write_lockfile

    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        lockfile = registry.lock(refs)
    if output is None:
        typer.echo(render_lockfile(lockfile), nl=False)
        return
    write_lockfile(lockfile, output)
    if state.json:
        emit_json({"path": str(output), "entries": len(lockfile.entries)})
    else:
        notice(f"locked {len(lockfile.entries)} version(s) into {output}")


def verify(
    ctx: typer.Context,
    ref: Annotated[
        str | None, typer.Argument(metavar="[REF]", help="A version to verify: digest, files, signatures, provenance.")
    ] = None,
    lock_file: Annotated[
        Path | None, typer.Option("--lock", metavar="FILE", help="A lockfile written by `lock` (instead of REF).")
    ] = None,
    files: Annotated[
        Path | None, typer.Option("--files", metavar="DIR", help="With REF: check these local files' digests too.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check a version (REF) or a lockfile (--lock FILE); exit 1 when a check fails."""
    if (ref is None) == (lock_file is None):
        raise typer.BadParameter("give a REF or --lock FILE (one of them)", param_hint="REF")
    if ref is not None:
        from llm_registry.cli.trust import verify_version

        verify_version(ctx, ref, files, json_output)
        return
    if files is not None:
        raise typer.BadParameter("--files goes with a REF", param_hint="--files")
    assert lock_file is not None
    from llm_registry.lineage.lockfiles import read_lockfile

    state = current_state(ctx, json_output)
    lockfile = read_lockfile(lock_file)
    with open_registry(state) as registry:
        report = registry.verify_lock(lockfile)
    if state.json:
        emit_model(report)
    else:
        print_table(table("REF", "STATUS", "DETAIL"), [(e.ref, e.status.value, e.message) for e in report.entries])
        changed = sum(1 for e in report.entries if e.status.value != "ok")
        notice("lockfile verified: everything unchanged" if report.ok
               else f"{changed} {'entry' if changed == 1 else 'entries'} changed")
    if not report.ok:
        raise typer.Exit(EXIT_CHANGED)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("search")(search)
    app.command("lineage")(lineage)
    app.command("impact")(impact)
    app.command("lock")(lock)
    app.command("verify")(verify)

