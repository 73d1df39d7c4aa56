"""Registering and reading versions: ``register``, ``get``, ``resolve``, ``versions``, ``assets``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llm_registry.assets.manifests import load_manifest, parse_manifest_text
from llm_registry.cli import views
from llm_registry.cli.output import emit_items, emit_model, next_page_hint, notice, print_warnings
from llm_registry.cli.session import JsonOption, current_state, open_registry

if TYPE_CHECKING:
    from llm_registry.registry import Registry

LimitOption = Annotated[int, typer.Option("--limit", help="Items per page (1-1000).")]
CursorOption = Annotated[str | None, typer.Option("--cursor", help="Continue after this page cursor.")]


def read_manifest_argument(manifest: str) -> dict[str, Any]:
    """The document in a YAML/JSON file, or on stdin for ``-``; raises ValidationError."""
    if manifest == "-":
        return parse_manifest_text(sys.stdin.read(), source="<stdin>")
    return load_manifest(Path(manifest))


def register_manifest(
    ctx: typer.Context,
    manifest: Annotated[
        str, typer.Argument(metavar="MANIFEST", help="A YAML or JSON version document; - reads stdin.")
    ],
    file: Annotated[
        list[Path] | None,
        typer.Option("--file", metavar="PATH", help="A local file to describe in content.files (sha256 and size)."),
    ] = None,
    files_root: Annotated[
        Path | None,
        typer.Option("--files-root", metavar="DIR",
                     help="Record --file paths relative to DIR (default: the file name alone)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Register a version document (idempotent for an identical document)."""
    state = current_state(ctx, json_output)
    document = read_manifest_argument(manifest)
    if file:
        from llm_registry.assets.manifests import attach_files
        from llm_registry.cli.progress import byte_progress

        with byte_progress("hashing", enabled=not state.json) as advance:
            document = attach_files(document, file, root=files_root, progress=advance)
    with open_registry(state) as registry:
        known = _already_registered(registry, document)
        registered = registry.register(document)
    print_warnings(registered.warnings)
    if state.json:
        emit_model(registered)
    else:
        # An identical document registered again changes nothing: say so.
        views.show_document(registered, heading=f"{'unchanged' if known else 'registered'} {registered.ref}")


def _already_registered(registry: Registry, document: Mapping[str, Any]) -> bool:
    """Whether the version the document names is registered already (then, if registering does
    not refuse it as a conflict, the document is identical)."""
    from llm_registry.errors import RegistryError

    kind, name, version = document.get("kind"), document.get("name"), document.get("version")
    if not all(isinstance(part, str) for part in (kind, name, version)):
        return False  # registering says what is wrong
    try:
        registry.get(f"{kind}:{name}@{version}")
    except RegistryError:
        return False
    return True


def get(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="TIME", help="Show the labels as they were at this ISO-8601 time.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show the version document a reference chooses."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.get(ref, as_of=as_of)
    if state.json:
        emit_model(document)
    else:
        views.show_document(document)


def resolve(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")],
    json_output: JsonOption = False,
) -> None:
    """Print the exact version (and digest) a reference chooses."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        document = registry.resolve(ref)
    if state.json:
        emit_model(document)
    else:
        notice(f"{document.ref}  {document.digest}  {document.status.value}")
        if document.status_message or document.replacement:
            # A deprecated (or yanked) version says why, and what to use instead.
            why = document.status_message or ""
            instead = f"use {document.replacement}" if document.replacement else ""
            notice(f"{document.status.value}: " + "; ".join(part for part in (why, instead) if part))


def versions(
    ctx: typer.Context,
    asset_ref: Annotated[str, typer.Argument(metavar="ASSET_REF", help="kind:namespace/name (no selector)")],
    limit: LimitOption = 100,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """List an asset's versions, highest SemVer precedence first."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        page = registry.versions(asset_ref, cursor=cursor, limit=limit)
    if state.json:
        emit_items(page.items, page.next_cursor)
    else:
        views.show_versions(page.items)
        next_page_hint(page.next_cursor)


def assets(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", metavar="KIND", help="Only this kind.")] = None,
    namespace: Annotated[str | None, typer.Option("--namespace", metavar="NS", help="Only this namespace.")] = None,
    limit: LimitOption = 100,
    cursor: CursorOption = None,
    json_output: JsonOption = False,
) -> None:
    """List assets (by kind, namespace, name) with their latest version and aliases."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        page = registry.assets(kind=kind, namespace=namespace, cursor=cursor, limit=limit)
    if state.json:
        emit_items(page.items, page.next_cursor)
    else:
        views.show_assets(page.items)
        next_page_hint(page.next_cursor)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("register")(register_manifest)
    app.command("get")(get)
    app.command("resolve")(resolve)
    app.command("versions")(versions)
    app.command("assets")(assets)

