"""``import FILE.jsonl|DIR``: register many version documents, a transaction per batch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from llm_registry.assets.manifests import MANIFEST_SUFFIXES, load_manifest
from llm_registry.cli.output import emit_json, notice, print_table, table
from llm_registry.cli.progress import count_progress
from llm_registry.cli.session import JsonOption, current_state, open_registry
from llm_registry.errors import ValidationError

EXIT_FAILED = 1


def read_documents(source: Path) -> list[dict[str, Any]]:
    """The documents of a JSON Lines file (one per line; blank lines skipped), or of every
    .yaml/.yml/.json file in a folder and its subfolders (by path). Raises ValidationError
    naming the line or file that does not parse."""
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
        return [load_manifest(path) for path in files]
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror}", code="invalid_parameter",
                              field="source") from None
    documents = []
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValidationError(f"{source}:{number}: malformed JSON: {exc}", code="invalid_manifest",
                                      field=None) from None
            if not isinstance(document, dict):
                raise ValidationError(f"{source}:{number}: a version document must be a mapping",
                                      code="invalid_manifest", field=None)
            documents.append(document)
    return documents


def import_documents(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="FILE.jsonl|DIR",
                                           help="A JSON Lines file of documents, or a folder of YAML/JSON documents.")],
    batch_size: Annotated[int, typer.Option("--batch-size", metavar="N",
                                            help="Documents per transaction (1-10000).")] = 1000,
    continue_on_error: Annotated[bool, typer.Option(
        "--continue-on-error", help="Register the good documents of a batch and report the others "
        "(default: a batch with a failing document registers nothing).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Register many version documents: each batch in one transaction, with the checks, pins and
    events of `register`; a document may depend on one earlier in the input. A batch that fails
    stops the import (the batches before it stay registered); exit 1 if any document failed."""
    from llm_registry.assets.models import MAX_BATCH

    state = current_state(ctx, json_output)
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValidationError(f"--batch-size must be between 1 and {MAX_BATCH}", code="invalid_parameter",
                              field="batch_size")
    documents = read_documents(source)
    started = time.perf_counter()
    progress = count_progress("importing", len(documents), enabled=not state.json)
    with open_registry(state) as registry, progress as advance:
        result = registry.register_many(documents, batch_size=batch_size, continue_on_error=continue_on_error,
                                        progress=advance)
    seconds = time.perf_counter() - started
    if state.json:
        emit_json({"source": str(source), "documents": len(documents), "created": result.created,
                   "unchanged": result.unchanged, "failed": result.failed, "seconds": round(seconds, 3),
                   "failures": [i.model_dump(exclude_none=True) for i in result.items if i.status == "failed"]})
    else:
        failures = [i for i in result.items if i.status == "failed"]
        if failures:
            print_table(table("#", "CODE", "FIELD", "MESSAGE"),
                        [(str(i.index), str((i.error or {}).get("code", "")), str((i.error or {}).get("field") or ""),
                          str((i.error or {}).get("message", ""))) for i in failures])
        rate = len(documents) / seconds if seconds > 0 else 0.0
        notice(f"imported {len(documents)} document(s) from {source}: {result.created} registered, "
               f"{result.unchanged} unchanged, {result.failed} failed ({rate:,.0f}/s)")
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add ``import`` to ``app``."""
    app.command("import")(import_documents)
