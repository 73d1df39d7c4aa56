"""The blob service: storing, reading, checking and collecting the bytes of versions (§2.4).

Every transport goes through it: the embedded registry's push and pull, the REST blob routes,
the CLI's ``gc``. It opens the blob store of the settings on first use (a registry that never
stores bytes never creates a blob folder), records ``blob.uploaded`` in the outbox for each
blob it stores anew and ``blob.deleted`` for each one the garbage collector removes, and asks
the trust gate, when there is one, before it hands a version's files out.

A blob is stored before its event is written: a crash between the two leaves a blob that no
event announced and no version references, which the next ``gc`` past the grace removes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO, Protocol

from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetReader
from llm_registry.assets.reads import CatalogService
from llm_registry.domain.access import Actor, Role
from llm_registry.domain.digests import validate_digest
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.integrity.hashing import Hasher, read_chunks
from llm_registry.integrity.interfaces import BlobInfo, BlobStore, TrustGate, UploadInfo
from llm_registry.integrity.models import Blob, GcReport, PullPlan

BLOB_UPLOADED = EventType.BLOB_UPLOADED.value
BLOB_DELETED = EventType.BLOB_DELETED.value
_GC_BATCH = 500


class FileReferences(Protocol):
    def referenced(self, tx: AssetReader, digests: Sequence[str]) -> set[str]:
        """Those of ``digests`` some version holds (as a file, or as its single-blob content)."""
        ...


class BlobService:
    """Blobs of one registry; raises the errors of ``llm_registry.errors``.

    ``trust`` is the trust gate of signatures and the trust policy: None means no policy.
    """

    def __init__(
        self,
        context: AssetContext,
        catalog: CatalogService,
        open_store: Callable[[], BlobStore],
        references: FileReferences,
        *,
        max_blob_bytes: int,
        chunk_bytes: int,
        trust: TrustGate | None = None,
    ) -> None:
        self.context = context
        self.catalog = catalog
        self.references = references
        self.max_blob_bytes = max_blob_bytes
        self.chunk_bytes = chunk_bytes
        self.trust = trust
        self._open_store = open_store
        self._store: BlobStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> BlobStore:
        """The blob store, opened on first use; raises ValidationError when none is configured."""
        with self._lock:
            if self._store is None:
                self._store = self._open_store()
            return self._store

    def configured_store(self) -> BlobStore | None:
        """The blob store, or None where the registry has none (a database location without
        ``blob_root`` nor S3: nothing can have been pushed there)."""
        try:
            return self.store
        except ValidationError:
            return None

    def close(self) -> None:
        """Close the blob store if it was opened (idempotent)."""
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()

    # ----------------------------------------------------------------- reads
    def find(self, digest: str) -> BlobInfo | None:
        """The stored blob, or None."""
        return self.store.stat(validate_digest(digest))

    def get(self, digest: str) -> BlobInfo:
        """The stored blob; raises NotFoundError (``blob_not_found``)."""
        found = self.find(digest)
        if found is None:
            raise NotFoundError(f"no blob {digest}", code="blob_not_found", field="digest")
        return found

    def open(self, digest: str, *, offset: int = 0) -> BinaryIO:
        """The blob's bytes from ``offset``; raises NotFoundError (``blob_not_found``)."""
        return self.store.open(validate_digest(digest), offset=offset)

    def verify_blob(self, digest: str) -> bool:
        """Whether the stored bytes of ``digest`` still have that digest (False when they were
        changed on disk or in the bucket); raises NotFoundError (``blob_not_found``)."""
        hasher = Hasher()
        with self.open(digest) as handle:
            for data in read_chunks(handle):
                hasher.update(data)
        return hasher.digest == digest

    # ---------------------------------------------------------------- writes
    def _check_size(self, size: int | None) -> None:
        if size is not None and size > self.max_blob_bytes:
            raise ValidationError(f"a blob of {size} bytes is larger than the {self.max_blob_bytes} accepted",
                                  code="invalid_parameter", field="size")

    def put(self, chunks: Iterable[bytes], *, digest: str, actor: Actor, size: int | None = None) -> tuple[Blob, bool]:
        """Store bytes under their claimed ``digest``: (the blob, whether it is new). Raises
        ValidationError (``digest_mismatch``: nothing kept)."""
        validate_digest(digest)
        self._check_size(size)
        existed = self.store.has(digest)
        info = self.store.put(chunks, digest=digest, size=size)
        if not existed:
            self._record(BLOB_UPLOADED, [info], actor)
        return Blob(digest=info.digest, size=info.size), not existed

    def start_upload(self, *, actor: Actor) -> UploadInfo:
        """A new resumable upload session of ``actor``."""
        return self.store.start_upload(owner=actor.name)

    def get_upload(self, upload_id: str, *, actor: Actor) -> UploadInfo:
        """An upload session of ``actor``'s; raises NotFoundError (``upload_not_found``) for
        another's, which an admin alone may see."""
        found = self.store.find_upload(upload_id)
        if found is None or (found.owner != actor.name and actor.role is not Role.ADMIN):
            raise NotFoundError(f"no upload session {upload_id!r}", code="upload_not_found", field="upload_id")
        return found

    def append_upload(
        self, upload_id: str, chunks: Iterable[bytes], *, offset: int, actor: Actor, length: int | None = None
    ) -> UploadInfo:
        """Add a chunk (of ``length`` bytes, when known) at ``offset``; raises NotFoundError
        (``upload_not_found``), ConflictError (``invalid_offset``, the expected offset in
        ``details``) or ValidationError (the blob would pass ``max_blob_bytes``)."""
        self.get_upload(upload_id, actor=actor)
        if offset < 0:
            raise ValidationError("the offset must not be negative", code="invalid_parameter", field="offset")
        self._check_size(offset + (length or 0))
        return self.store.append_upload(upload_id, chunks, offset=offset)

    def finish_upload(self, upload_id: str, *, digest: str, actor: Actor) -> tuple[Blob, bool]:
        """Check the session's bytes against ``digest`` and store them: (the blob, whether it is
        new). Raises NotFoundError (``upload_not_found``) or ValidationError (``digest_mismatch``:
        the session and its bytes are gone)."""
        validate_digest(digest)
        self.get_upload(upload_id, actor=actor)
        existed = self.store.has(digest)
        info = self.store.finish_upload(upload_id, digest=digest)
        if not existed:
            self._record(BLOB_UPLOADED, [info], actor)
        return Blob(digest=info.digest, size=info.size), not existed

    def abort_upload(self, upload_id: str, *, actor: Actor) -> None:
        """Drop an upload session; raises NotFoundError (``upload_not_found``)."""
        self.get_upload(upload_id, actor=actor)
        self.store.abort_upload(upload_id)

    def _record(self, event_type: str, blobs: Sequence[BlobInfo], actor: Actor) -> None:
        if not blobs:
            return
        at = self.context.now()
        with self.context.store.write() as tx:
            for info in blobs:
                tx.append_event(type=event_type, subject=info.digest, asset=None, actor=actor.name, at=at,
                                payload={"size": info.size})

    # ------------------------------------------------------------------ pull
    def pull_plan(self, ref: str, *, actor: Actor) -> PullPlan:
        """The files of the version ``ref`` chooses, once the trust gate (if any) lets it be
        pulled. Raises NotFoundError, ValidationError (``no_files``) or PolicyDeniedError."""
        document = self.catalog.get(ref)
        files = document.content.files if document.content is not None else None
        if not files:
            raise ValidationError(f"{document.ref} declares no files (content.files) to pull", code="no_files",
                                  field="ref")
        warnings = self.trust.check(document, operation="pull") if self.trust is not None else []
        return PullPlan(ref=document.ref, digest=document.digest, files=list(files), warnings=warnings)

    # -------------------------------------------------------------------- gc
    def collect_garbage(self, *, grace: int, dry_run: bool, actor: Actor) -> GcReport:
        """Remove the blobs no version holds that were stored more than ``grace`` seconds ago,
        the upload sessions idle that long and what cut writes left behind. A blob younger than
        the grace is never removed (a push may be about to register the version that holds it),
        nor a session being written. ``dry_run`` removes nothing and says what would go."""
        if grace < 0:
            raise ValidationError("the grace must not be negative", code="invalid_parameter", field="grace")
        store = self.store
        cutoff = self.context.clock() - grace
        scanned = young = held = 0
        removed: list[Blob] = []
        batch: list[BlobInfo] = []

        def collect(infos: list[BlobInfo]) -> None:
            nonlocal held
            with self.context.store.read() as tx:
                kept = self.references.referenced(tx, [info.digest for info in infos])
            held += len(kept)
            gone = []
            for info in infos:
                if info.digest in kept:
                    continue
                now = store.stat(info.digest)  # stored again since it was listed: young again
                if now is None or (now.modified_at is not None and now.modified_at >= cutoff):
                    continue
                if dry_run or store.delete(info.digest):
                    gone.append(now)
            removed.extend(Blob(digest=info.digest, size=info.size) for info in gone)
            if not dry_run:
                self._record(BLOB_DELETED, gone, actor)

        for info in store.iter_blobs():
            scanned += 1
            if info.modified_at is None or info.modified_at >= cutoff:
                young += 1
                continue
            batch.append(info)
            if len(batch) >= _GC_BATCH:
                collect(batch)
                batch = []
        if batch:
            collect(batch)
        uploads = [u for u in store.iter_uploads() if u.updated_at < cutoff]
        if not dry_run:
            for upload in uploads:
                store.abort_upload(upload.id)
        temporary = 0 if dry_run else store.sweep(before=cutoff)
        return GcReport(dry_run=dry_run, grace_seconds=grace, scanned=scanned, referenced=held, too_young=young,
                        removed=removed, bytes_freed=sum(blob.size for blob in removed), uploads_removed=len(uploads),
                        temporary_removed=temporary)
