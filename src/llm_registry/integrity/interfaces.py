"""The contracts of integrity: where the bytes of versions live, and the gate that decides
whether a version may be handed out or promoted.

``BlobStore`` holds blobs by digest (``sha256:<hex>``): identical content is stored once, a blob
is written whole or not at all, and its bytes are read back as they were written. Backends: a
local folder and S3-compatible storage. Blobs arrive whole (``put``, hashed while written, kept
only when the digest is right) or in chunks through a resumable upload session (``start_upload``,
``append_upload``, ``finish_upload``); nothing is ever visible under a digest before all of its
bytes are stored and checked. ``TrustGate`` is asked by the services that hand a version out
(``pull``) or promote it (an alias move): it answers warnings, or raises PolicyDeniedError when
the trust policy in force refuses the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from llm_registry.assets.models import VersionDocument


@dataclass(frozen=True, slots=True)
class BlobInfo:
    digest: str
    size: int
    # When the blob was last stored (seconds since the epoch), for the garbage collector's grace.
    modified_at: float | None = None


@dataclass(frozen=True, slots=True)
class UploadInfo:
    """A resumable upload session: ``offset`` bytes received so far, in order."""

    id: str
    offset: int
    owner: str
    created_at: float
    updated_at: float


class BlobStore(Protocol):
    def has(self, digest: str) -> bool:
        """Whether the blob is stored (whole)."""
        ...

    def stat(self, digest: str) -> BlobInfo | None:
        """The blob's size, or None when it is not stored."""
        ...

    def open(self, digest: str, *, offset: int = 0) -> BinaryIO:
        """The blob's bytes from ``offset``; raises NotFoundError (``blob_not_found``)."""
        ...

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in no particular order."""
        ...

    def put(self, chunks: Iterable[bytes], *, digest: str | None = None, size: int | None = None) -> BlobInfo:
        """Store the bytes of ``chunks`` under their sha256, hashed while they are written, and
        answer the blob. Raises ValidationError (``digest_mismatch``) when ``digest`` or ``size``
        is given and the bytes differ: nothing is kept. An exception raised by ``chunks`` (a body
        cut short) propagates, nothing kept either. Content stored already is not written again."""
        ...

    def delete(self, digest: str) -> bool:
        """Remove a blob; False when it was not stored."""
        ...

    def start_upload(self, *, owner: str) -> UploadInfo:
        """A new, empty upload session of ``owner``."""
        ...

    def find_upload(self, upload_id: str) -> UploadInfo | None:
        """The session, or None when there is none by that id."""
        ...

    def append_upload(self, upload_id: str, chunks: Iterable[bytes], *, offset: int) -> UploadInfo:
        """Add ``chunks`` at ``offset``, which must be where the session stands. Raises
        NotFoundError (``upload_not_found``) or ConflictError (``invalid_offset``, with the
        expected offset in ``details``). When ``chunks`` raises (a body cut short) the session
        stays: ``find_upload`` says where it stands (the bytes of the cut chunk may or may not
        have been kept), and the upload goes on from there."""
        ...

    def finish_upload(self, upload_id: str, *, digest: str) -> BlobInfo:
        """Check the session's bytes against ``digest`` and store them as that blob; the session
        is gone either way. Raises NotFoundError (``upload_not_found``) or ValidationError
        (``digest_mismatch``, nothing kept)."""
        ...

    def abort_upload(self, upload_id: str) -> bool:
        """Drop a session and its bytes; False when there was none."""
        ...

    def iter_uploads(self) -> Iterator[UploadInfo]:
        """Every open upload session."""
        ...

    def sweep(self, *, before: float) -> int:
        """Remove what writes cut short left behind (temporary files) last touched before
        ``before`` (seconds since the epoch); answers how many."""
        ...

    def close(self) -> None: ...


class TrustGate(Protocol):
    def check(self, version: VersionDocument, *, operation: str) -> list[str]:
        """Warnings about ``version`` for ``operation`` (``pull`` or ``move_alias``); raises
        PolicyDeniedError when the trust policy in force for its kind and namespace refuses it."""
        ...
