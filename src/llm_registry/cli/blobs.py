"""The bytes of versions: ``push``, ``pull`` and ``gc``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llm_registry.cli.output import emit_model, notice, print_table, short_digest, table
from llm_registry.cli.progress import byte_progress
from llm_registry.cli.session import JsonOption, current_state, load_settings, open_registry
from llm_registry.errors import ValidationError
from llm_registry.settings import DECLARED

if TYPE_CHECKING:
    pass

ThreadsOption = Annotated[
    int | None,
    typer.Option("--threads", metavar="N", min=1, max=64, help=DECLARED["transfer_threads"].option_help()),
]


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def push(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(
        metavar="REF|MANIFEST",
        help="A version document (YAML/JSON file, - for stdin) to register with the files, or the "
             "reference of a registered version whose declared files these are.")],
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH...", help="Files and folders to push (a folder gives its files by their path inside it).")],
    files_root: Annotated[Path | None, typer.Option(
        "--files-root", metavar="DIR", help="Record the paths relative to DIR instead.")] = None,
    threads: ThreadsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Send files to the blob store (skipping those stored already), then register the version
    (or check them against the registered version's files)."""
    from llm_registry.cli.versions import read_manifest_argument
    from llm_registry.integrity.transfer import is_reference

    state = current_state(ctx, json_output)
    document = target if is_reference(target) else read_manifest_argument(target)
    with open_registry(state) as registry, byte_progress("pushing", enabled=not state.json) as progress:
        result = registry.push(document, paths, files_root=files_root, progress=progress, threads=threads)
    if state.json:
        emit_model(result)
        return
    rate = result.bytes_uploaded / result.seconds if result.seconds > 0 else 0.0
    action = "registered" if result.created else "pushed"
    notice(f"{action} {result.ref} ({short_digest(result.digest)}): {result.files} file(s), {result.uploaded} "
           f"sent ({human_bytes(result.bytes_uploaded)}), {result.skipped} stored already, in {result.seconds:.1f}s"
           f" ({human_bytes(rate)}/s)")


def pull(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="REF", help="kind:namespace/name[@selector]")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="DIR", help="Where the files go (default: a folder named after the asset).")] = None,
    threads: ThreadsOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch the files of a version, each checked against its digest while it is written; a pull
    cut short continues where it stopped, files already right are kept."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        dest = output if output is not None else Path(registry.resolve(ref).name.rpartition("/")[2])
        with byte_progress("pulling", enabled=not state.json) as progress:
            result = registry.pull(ref, dest, progress=progress, threads=threads)
    if state.json:
        emit_model(result)
        return
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    rate = result.bytes_downloaded / result.seconds if result.seconds > 0 else 0.0
    notice(f"pulled {result.ref} into {result.dest}: {result.files} file(s), {result.downloaded} fetched "
           f"({human_bytes(result.bytes_downloaded)}), {result.skipped} already there, in {result.seconds:.1f}s"
           f" ({human_bytes(rate)}/s)")


def gc(
    ctx: typer.Context,
    grace: Annotated[int | None, typer.Option(
        "--grace", metavar="SECONDS", min=0, help=DECLARED["gc_grace"].option_help("Keep unreferenced blobs "
                                                                                   "stored within SECONDS"))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Remove the blobs no version references (stored longer ago than the grace), upload sessions
    idle as long, and what interrupted writes left. Runs on the registry's database and blob
    store (a folder, a database URL), not through a server."""
    from llm_registry.embedded import EmbeddedRegistry
    from llm_registry.registry import Registry

    state = current_state(ctx, json_output)
    settings = load_settings(state)
    with Registry.open(settings=settings) as registry:
        if not isinstance(registry, EmbeddedRegistry):
            raise ValidationError("gc runs on the registry's database and blob store: give --registry the folder or "
                                  "database URL the server uses (with its blob settings)", code="invalid_parameter",
                                  field="url")
        report = registry.services.blobs.collect_garbage(
            grace=settings.gc_grace if grace is None else grace, dry_run=dry_run, actor=registry.actor)
    if state.json:
        emit_model(report)
        return
    if report.removed:
        print_table(table("DIGEST", "SIZE"), [(blob.digest, human_bytes(blob.size)) for blob in report.removed])
    # Blobs within the grace are kept without asking whether a version holds them: "referenced"
    # counts only the older ones, and the line says so rather than suggest the young are unheld.
    verb, keep = ("would remove", "would keep") if dry_run else ("removed", "kept")
    notice(f"{verb} {len(report.removed)} blob(s) ({human_bytes(report.bytes_freed)}) of {report.scanned}; "
           f"{keep} {report.too_young} stored within the grace of {report.grace_seconds}s and "
           f"{report.referenced} older one(s) that versions hold; {report.uploads_removed} idle upload(s) and "
           f"{report.temporary_removed} leftover(s) {'would go' if dry_run else 'removed'}")


def register(app: typer.Typer) -> None:
    """Add ``push``, ``pull`` and ``gc`` to ``app``."""
    app.command("push")(push)
    app.command("pull")(pull)
    app.command("gc")(gc)

