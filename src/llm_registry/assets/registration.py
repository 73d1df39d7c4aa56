"""Registering versions (§3.1): one document, its pins, its search entry and its event in one
transaction; identical documents are idempotent; the same version with other immutable fields
is a conflict; a registration that would close a dependency cycle is refused."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetRow, AssetWriter, DependencyRow, VersionRow
from llm_registry.assets.models import MAX_BATCH, BatchItem, BatchResult, Manifest, Status, VersionDocument
from llm_registry.assets.resolution import get_pin_target
from llm_registry.assets.validation import validate_spec
from llm_registry.domain.access import Actor
from llm_registry.domain.digests import digest_of
from llm_registry.domain.ids import new_id
from llm_registry.domain.names import AssetName, parse_name
from llm_registry.domain.references import Reference
from llm_registry.domain.versions import Version, parse_version, sort_key, version_key
from llm_registry.errors import (
    ConcurrentWriteError,
    ConflictError,
    RegistryError,
    ValidationError,
    error_class_for_code,
)
from llm_registry.events.models import EventType

_Indexing = tuple[VersionRow, list[str]]  # a new version and the asset ids it pins
# A concurrent writer (another process, or another PostgreSQL connection) that inserts the
# same asset or version first makes ours fail on a unique key: running again sees its row.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document checked outside any transaction: what registering it needs from the database
    is only the pins and whether the version exists."""

    manifest: Manifest
    name: AssetName
    version: Version
    dependency_refs: list[Reference]
    fields: dict[str, Any]
    document_digest: str
    digest: str


class RegistrationService:
    """Registers versions; raises the errors of ``llm_registry.errors``."""

    def __init__(self, context: AssetContext) -> None:
        self.context = context

    def prepare(self, manifest: Mapping[str, Any] | Manifest) -> PreparedDocument:
        """Parse and check a document (schema, names, references, digests) without the database;
        raises ValidationError naming the field."""
        parsed = documents.parse_manifest(manifest)
        name = parse_name(parsed.name, default_namespace=self.context.default_namespace)
        version = parse_version(parsed.version)
        validate_spec(parsed.kind, parsed.spec)
        dependency_refs = [
            self.context.parse_reference(d.ref, field=f"dependencies[{i}].ref")
            for i, d in enumerate(parsed.dependencies)
        ]
        fields = documents.immutable_fields(parsed, str(name))
        document_digest = digest_of(fields)
        digest = documents.content_digest(parsed, document_digest)
        return PreparedDocument(parsed, name, version, dependency_refs, fields, document_digest, digest)

    def register(self, manifest: Mapping[str, Any] | Manifest, *, actor: Actor) -> tuple[VersionDocument, bool]:
        """Register a version; returns (document, created). Idempotent for an identical document.

        Raises ValidationError (bad input, ``dependency_cycle``), NotFoundError
        (``dependency_not_found``), ConflictError (``version_conflict``) or ForbiddenError.
        """
        prepared = self.prepare(manifest)
        self.context.authorize(actor, "assets:create", namespace=prepared.name.namespace)
        for attempt in range(_ATTEMPTS):
            try:
                with self.context.store.write() as tx:
                    document, created, _ = self.register_in(tx, prepared, actor)
                    return document, created
            except ConcurrentWriteError:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def register_in(
        self, tx: AssetWriter, prepared: PreparedDocument, actor: Actor, *, index: bool = True
    ) -> tuple[VersionDocument, bool, _Indexing | None]:
        """Register ``prepared`` inside the write transaction ``tx`` (which commits or rolls back
        everything it holds): (document, created, what the search index still needs when
        ``index`` is false and the version is new)."""
        parsed = prepared.manifest
        kind = parsed.kind
        name = prepared.name
        key = version_key(prepared.version)
        existing = tx.find_version(kind, name, key)
        if existing is not None:
            if existing.document_digest == prepared.document_digest and existing.version == parsed.version:
                return documents.to_document(existing), False, None
            raise ConflictError(
                f"{kind.value}:{name}@{existing.version} is already registered with different immutable fields"
                " (spec, content, dependencies, provenance or build metadata); register a new version",
                code="version_conflict",
                field="version",
            )
        pins: list[dict[str, Any]] = []
        dependency_rows: list[DependencyRow] = []
        for position, (ref, declared) in enumerate(zip(prepared.dependency_refs, parsed.dependencies, strict=True)):
            target = get_pin_target(tx, ref, code="dependency_not_found", field=f"dependencies[{position}].ref")
            relation = declared.relation.value
            pins.append({"ref": declared.ref, "relation": relation, "version": target.version, "digest": target.digest})
            dependency_rows.append(
                DependencyRow(
                    position, declared.ref, relation, target.asset_id, target.id, target.version, target.digest
                )
            )
        now = self.context.now()
        recorded = actor.name
        namespace, asset_name = name
        asset, created = tx.get_or_create_asset(AssetRow(new_id(), kind, namespace, asset_name, now, recorded))
        if not created and dependency_rows:
            tx.lock_dependency_graph()
            _refuse_cycle(tx, asset, [d.target_asset_id for d in dependency_rows])
        sk = sort_key(prepared.version)
        labels = parsed.labels.model_dump(mode="json")
        row = VersionRow(
            id=new_id(),
            asset_id=asset.id,
            kind=kind,
            namespace=namespace,
            name=asset_name,
            version=parsed.version,
            version_key=key,
            major=sk.major,
            minor=sk.minor,
            patch=sk.patch,
            prerelease_key=sk.prerelease,
            is_prerelease=bool(prepared.version.prerelease),
            status=Status.ACTIVE.value,
            status_message=None,
            replacement=None,
            digest=prepared.digest,
            document_digest=prepared.document_digest,
            spec=parsed.spec,
            # As the document digest saw them (documents.immutable_fields).
            content=prepared.fields["content"],
            dependencies=prepared.fields["dependencies"],
            pins=pins,
            provenance=parsed.provenance,
            labels=labels,
            revision=1,
            created_at=now,
            created_by=recorded,
            updated_at=now,
        )
        tx.insert_version(row, dependency_rows)
        pinned = [d.target_asset_id for d in dependency_rows]
        search_index = self.context.search_index
        if search_index is not None and index:
            search_index.index_version(tx, row, pinned)
        tx.append_event(
            type=EventType.ASSET_REGISTERED,
            subject=f"{kind.value}:{name}@{parsed.version}",
            asset=f"{kind.value}:{name}",
            actor=recorded,
            at=now,
            payload={
                "version": parsed.version,
                "digest": prepared.digest,
                "before": None,
                "after": {"status": Status.ACTIVE.value, "pins": pins, "labels": labels},
            },
        )
        return documents.to_document(row), True, None if index else (row, pinned)


def _refuse_cycle(tx: AssetWriter, asset: AssetRow, targets: list[str]) -> None:
    path = tx.find_asset_path(sorted(set(targets)), asset.id)
    if path is None:
        return
    names = tx.describe_assets([asset.id, *path])
    cycle = [names[a] for a in [asset.id, *path]]
    raise ValidationError(
        f"registering this version would make the dependency graph cyclic: {' -> '.join(cycle)}",
        code="dependency_cycle",
        field="dependencies",
        details={"cycle": cycle},
    )


DEFAULT_BATCH = 1_000


class BatchRegistration:
    """Registering many documents, a transaction per ``batch_size`` of them (§3.4 ``/v1/batch``).

    Each document gets exactly the checks, pins, search entry and event of a registration of its
    own, and may depend on versions earlier in the same batch. By default a batch is
    all-or-nothing: the first document that fails is raised (its class and code, the field as
    ``documents[i].field``, every failure found in ``details``) and nothing of its batch is
    written. With ``continue_on_error`` each document runs in a savepoint: the good ones are
    committed, the failed ones reported in the result.
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
        written: dict[int, BatchItem] = {}
        indexing: list[_Indexing] = []
        with context.store.write() as tx:
            for index, document in prepared:
                try:
                    if continue_on_error:
                        with tx.savepoint():
                            result = self.registration.register_in(tx, document, actor, index=False)
                    else:
                        result = self.registration.register_in(tx, document, actor, index=False)
                except ConcurrentWriteError:
                    raise
                except RegistryError as error:
                    if not continue_on_error:
                        failure = _failed(index, error)
                        raise _batch_error([failure]) from None
                    written[index] = _failed(index, error)
                    continue
                registered, created, new = result
                written[index] = BatchItem(
                    index=index, status=CREATED if created else UNCHANGED, ref=registered.ref, digest=registered.digest
                )
                if new is not None:
                    indexing.append(new)
            if context.search_index is not None:
                context.search_index.index_versions(tx, indexing)
        return written


CREATED, UNCHANGED, FAILED = "created", "unchanged", "failed"


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
