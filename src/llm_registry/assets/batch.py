"""Registering many documents (§3.4 ``/v1/batch``): a transaction per batch, each document with
exactly the checks, pins, search entry and event of a registration of its own.

A batch runs every document through ``RegistrationService.register_in`` on a transaction that
holds the inserts (``AssetWriter.batched``): what the batch needs from the database (its assets,
whether its versions exist, whether anything depends on them) is read in bulk up front, the
version a dependency range chooses is looked up once per batch (again only once the batch adds
a version to that asset), and the rows are written with one statement per table. Only a
document that depends on a version the same batch added, or whose asset others depend on,
makes the batch write what it holds before going on.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from llm_registry.assets.interfaces import BatchWriter, PinTarget
from llm_registry.assets.models import MAX_BATCH, BatchItem, BatchResult, Manifest
from llm_registry.assets.registration import _ATTEMPTS, PreparedDocument, RegistrationService
from llm_registry.assets.resolution import get_pin_target
from llm_registry.domain.access import Actor
from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import AssetName
from llm_registry.domain.references import Reference, SelectorType
from llm_registry.domain.versions import version_key
from llm_registry.errors import ConcurrentWriteError, RegistryError, ValidationError, error_class_for_code

DEFAULT_BATCH = 1_000
CREATED, UNCHANGED, FAILED = "created", "unchanged", "failed"


class BatchRegistration:
    """Registering many documents, a transaction per ``batch_size`` of them.

    Each document gets exactly the checks, pins, search entry and event of a registration of its
    own, and may depend on versions earlier in the same batch. By default a batch is
    all-or-nothing: the first document that fails is raised (its class and code, the field as
    ``documents[i].field``, every failure found in ``details``) and nothing of its batch is
    written. With ``continue_on_error`` the good ones are committed, the failed ones reported in
    the result (a failed document leaves nothing).
    """

    def __init__(self, registration: RegistrationService) -> None:
        self.registration = registration

    def register_many(
        self,
        manifests: Iterable[Mapping[str, Any] | Manifest],
        *,
        actor: Actor,
        batch_size: int = DEFAULT_BATCH,
        continue_on_error: bool = False,
        offset: int = 0,
        progress: Callable[[int], None] | None = None,
    ) -> BatchResult:
        """Register every document, in order; see the class. Documents are numbered from
        ``offset`` (a client sending a long list in parts numbers them as in the whole). Raises
        ValidationError for a bad ``batch_size``, and (without ``continue_on_error``) the error of
        the first failure. ``progress`` is called after each batch with the number of documents
        it had."""
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValidationError(
                f"batch_size must be between 1 and {MAX_BATCH}", code="invalid_parameter", field="batch_size"
            )
        items: list[BatchItem] = []
        if offset < 0:
            raise ValidationError("offset must not be negative", code="invalid_parameter", field="offset")
        pending = enumerate(manifests, start=offset)
        while chunk := list(itertools.islice(pending, batch_size)):
            with _collector_paused():
                items.extend(self._batch(chunk, actor, continue_on_error))
            if progress is not None:
                progress(len(chunk))
        return BatchResult.of(items)

    def _batch(
        self, chunk: list[tuple[int, Mapping[str, Any] | Manifest]], actor: Actor, continue_on_error: bool
    ) -> list[BatchItem]:
        context = self.registration.context
        outcome: dict[int, BatchItem] = {}
        prepared: list[tuple[int, PreparedDocument]] = []
        allowed: set[str] = set()
        for index, manifest in chunk:
            try:
                document = self.registration.prepare(manifest)
                if document.name.namespace not in allowed:
                    context.authorize(actor, "assets:create", namespace=document.name.namespace)
                    allowed.add(document.name.namespace)
            except RegistryError as error:
                outcome[index] = _failed(index, error)
                continue
            prepared.append((index, document))
        if outcome and not continue_on_error:
            raise _batch_error(sorted(outcome.values(), key=lambda i: i.index))
        for attempt in range(_ATTEMPTS):
            try:
                written = self._write(prepared, actor, continue_on_error)
                break
            except ConcurrentWriteError:
                if attempt == _ATTEMPTS - 1:
                    raise
        outcome.update(written)
        return [outcome[index] for index, _ in chunk]

    def _write(
        self, prepared: list[tuple[int, PreparedDocument]], actor: Actor, continue_on_error: bool
    ) -> dict[int, BatchItem]:
        context = self.registration.context
        register_in = self.registration.register_in
        written: dict[int, BatchItem] = {}
        indexing = []
        with context.store.write() as tx:
            writer = tx.batched()
            _prefetch(writer, [document for _, document in prepared])

            def choose(ref: Reference, code: str, field: str) -> PinTarget:
                return get_pin_target(writer, ref, code=code, field=field)

            def choose_pin(ref: Reference, code: str, field: str) -> PinTarget:
                return writer.pin_target(choose, ref, code, field)

            for index, document in prepared:
                try:
                    with writer.document() if continue_on_error else nullcontext():
                        row, created, new = register_in(writer, document, actor, index=False, choose_pin=choose_pin)
                except ConcurrentWriteError:
                    raise
                except RegistryError as error:
                    if not continue_on_error:
                        raise _batch_error([_failed(index, error)]) from None
                    written[index] = _failed(index, error)
                    continue
                written[index] = BatchItem(
                    index=index,
                    status=CREATED if created else UNCHANGED,
                    ref=f"{row.kind.value}:{row.namespace}/{row.name}@{row.version}",
                    digest=row.digest,
                )
                if new is not None:
                    indexing.append(new)
            writer.flush()
            if context.policy is not None:
                context.policy.flush_counts(writer)
            if context.search_index is not None:
                context.search_index.index_versions(writer, indexing)
        return written


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one batch. A batch allocates some fifty objects
    per document and keeps them until it commits; each full collection walks all of them and
    finds nothing to free (they hold no cycles), a quarter of a batch's time. Reference counting
    still frees everything as usual; collections resume after the batch."""
    if not gc.isenabled():  # another batch (or the application) paused it: leave it to them
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _prefetch(writer: BatchWriter, documents: list[PreparedDocument]) -> None:
    """Read up front the assets of the documents and of their dependencies, and whether the
    documents' versions (and the exact versions they depend on) exist."""
    names: list[tuple[Kind, AssetName]] = []
    versions_of: list[tuple[Kind, AssetName, str]] = []
    for document in documents:
        kind = document.manifest.kind
        names.append((kind, document.name))
        versions_of.append((kind, document.name, version_key(document.version)))
        for ref in document.dependency_refs:
            names.append((ref.kind, ref.name))
            if ref.selector_type is SelectorType.VERSION and ref.version is not None:
                versions_of.append((ref.kind, ref.name, version_key(ref.version)))
    writer.prefetch(names, versions_of)


def _failed(index: int, error: RegistryError) -> BatchItem:
    return BatchItem(index=index, status=FAILED, error=error.to_dict())


def _batch_error(failures: list[BatchItem]) -> RegistryError:
    """The first failure as its own error class and code, naming the document; nothing was written."""
    first = failures[0]
    assert first.error is not None
    error_class = error_class_for_code(str(first.error["code"]))
    field = f"documents[{first.index}]" + (f".{first.error['field']}" if first.error.get("field") else "")
    message = (
        f"document {first.index}: {first.error['message']}"
        + (f" (and {len(failures) - 1} more failing)" if len(failures) > 1 else "")
        + "; nothing of the batch was registered"
    )
    details = {"failures": [f.model_dump(exclude_none=True) for f in failures]}
    return error_class(message, code=str(first.error["code"]), field=field, details=details)
