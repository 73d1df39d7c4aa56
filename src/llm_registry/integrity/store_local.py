"""Blobs in a local folder, addressed by content: ``sha256/ab/cdef…`` under the root.

A blob is written to a temporary file in ``tmp/`` (the same filesystem), hashed as it is
written, fsynced, and renamed to its digest's path only when the digest is right; the folder is
fsynced after the rename. A crash at any moment leaves at most a temporary file (which ``sweep``
removes), never a partial blob under a digest. Upload sessions live in ``uploads/<id>/``: their
bytes in ``data`` (appended in order, fsynced before a chunk is acknowledged), their owner in
``info.json``; finishing one renames ``data`` into place.

Several processes may share the folder (server workers): appends and the finish of a session
hold an exclusive ``flock`` on its ``data`` file. A process keeps the running hash of the
sessions it appended to, so that finishing one need not read it again; a session another
process appended to last is hashed from the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from llm_registry.domain.ids import new_id
from llm_registry.errors import ConflictError, NotFoundError, StorageError
from llm_registry.integrity.hashing import Hasher, hashed, hex_of, read_chunks
from llm_registry.integrity.interfaces import BlobInfo, UploadInfo

_HEX = re.compile(r"[0-9a-f]{2}")
_REST = re.compile(r"[0-9a-f]{62}")
UPLOAD_ID = re.compile(r"[0-9A-Z]{26}")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def upload_missing(upload_id: str) -> NotFoundError:
    return NotFoundError(f"no upload session {upload_id!r}", code="upload_not_found", field="upload_id")


def offset_conflict(upload_id: str, expected: int, given: int) -> ConflictError:
    return ConflictError(
        f"upload {upload_id} stands at byte {expected}; a chunk at {given} is out of order",
        code="invalid_offset", field="offset", details={"offset": expected},
    )


class LocalBlobStore:
    """Implements ``BlobStore`` in the folder ``root`` (created when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        self._uploads = self.root / "uploads"
        self._hashers: dict[str, Hasher] = {}  # upload id -> the hash of its bytes, when this process knows it
        self._lock = threading.Lock()
        try:
            for folder in (self.root / "sha256", self._tmp, self._uploads):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot use the blob folder {self.root}: {exc.strerror}",
                               code="blob_store_unavailable") from None

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_of(self, digest: str) -> Path:
        """Where the blob of ``digest`` lives (whether or not it is stored)."""
        hexdigits = hex_of(digest)
        return self.root / "sha256" / hexdigits[:2] / hexdigits[2:]

    # ----------------------------------------------------------------- reads
    def has(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def stat(self, digest: str) -> BlobInfo | None:
        try:
            found = self.path_of(digest).stat()
        except FileNotFoundError:
            return None
        return BlobInfo(digest, found.st_size, found.st_mtime)

    def open(self, digest: str, *, offset: int = 0) -> BinaryIO:
        try:
            handle = self.path_of(digest).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no blob {digest}", code="blob_not_found", field="digest") from None
        if offset:
            handle.seek(offset)
        return handle

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for folder in sorted((self.root / "sha256").iterdir()):
            if not (folder.is_dir() and _HEX.fullmatch(folder.name)):
                continue
            with os.scandir(folder) as entries:
                for entry in entries:
                    if _REST.fullmatch(entry.name) and entry.is_file():
                        found = entry.stat()
                        yield BlobInfo(f"sha256:{folder.name}{entry.name}", found.st_size, found.st_mtime)

    # ---------------------------------------------------------------- writes
    def put(self, chunks: Iterable[bytes], *, digest: str | None = None, size: int | None = None) -> BlobInfo:
        if digest is not None:
            hex_of(digest)
            if self.has(digest):
                # Stored already: the bytes are still checked against the claim, never written twice.
                hasher = Hasher()
                for _ in hashed(chunks, hasher, size=size, digest=digest):
                    pass
                hasher.check("blob", digest=digest, size=size)
                return self._touch(digest)
        temporary = self._tmp / f"{new_id()}.part"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            hasher = Hasher()
            try:
                for data in hashed(chunks, hasher, size=size, digest=digest):
                    _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            got = hasher.check("blob", digest=digest, size=size)
            return self._place(temporary, got, hasher.size)
        finally:
            temporary.unlink(missing_ok=True)

    def _place(self, source: Path, digest: str, size: int) -> BlobInfo:
        """Rename the checked file ``source`` to the path of ``digest`` (unless stored already)."""
        target = self.path_of(digest)
        if target.is_file():
            return self._touch(digest)
        folder = target.parent
        if not folder.is_dir():
            folder.mkdir(exist_ok=True)
            _fsync_folder(folder.parent)
        # Another writer of the same bytes may rename first: either file is the blob.
        os.replace(source, target)
        _fsync_folder(folder)
        return BlobInfo(digest, size, target.stat().st_mtime)

    def _touch(self, digest: str) -> BlobInfo:
        # Stored again: the blob is as young as this write, for the garbage collector's grace.
        path = self.path_of(digest)
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)
        found = path.stat()
        return BlobInfo(digest, found.st_size, found.st_mtime)

    def delete(self, digest: str) -> bool:
        try:
            self.path_of(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    # --------------------------------------------------------------- uploads
    def _session(self, upload_id: str) -> Path:
        if not UPLOAD_ID.fullmatch(upload_id):
            raise upload_missing(upload_id)
        return self._uploads / upload_id

    def start_upload(self, *, owner: str) -> UploadInfo:
        upload_id = new_id()
        folder = self._uploads / upload_id
        folder.mkdir()
        now = time.time()
        (folder / "info.json").write_bytes(orjson.dumps({"owner": owner, "created_at": now}))
        (folder / "data").touch()
        return UploadInfo(upload_id, 0, owner, now, now)

    def find_upload(self, upload_id: str) -> UploadInfo | None:
        if not UPLOAD_ID.fullmatch(upload_id):
            return None
        folder = self._uploads / upload_id
        try:
            info = orjson.loads((folder / "info.json").read_bytes())
            found = (folder / "data").stat()
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        return UploadInfo(upload_id, found.st_size, str(info["owner"]), float(info["created_at"]), found.st_mtime)

    @contextlib.contextmanager
    def _locked_data(self, upload_id: str) -> Iterator[int]:
        """The session's data file, open for appending under an exclusive lock."""
        try:
            fd = os.open(self._session(upload_id) / "data", os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise upload_missing(upload_id) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not (self._uploads / upload_id / "data").exists():  # finished while this one waited
                raise upload_missing(upload_id)
            yield fd
        finally:
            os.close(fd)

    def append_upload(self, upload_id: str, chunks: Iterable[bytes], *, offset: int) -> UploadInfo:
        with self._locked_data(upload_id) as fd:
            current = os.fstat(fd).st_size
            if offset != current:
                raise offset_conflict(upload_id, current, offset)
            with self._lock:
                hasher = self._hashers.pop(upload_id, None)
            if hasher is None or hasher.size != current:
                hasher = Hasher() if current == 0 else None
            try:
                for data in chunks:
                    _write_all(fd, data)
                    if hasher is not None:
                        hasher.update(data)
            except OSError:
                hasher = None  # how much of the last chunk reached the file is unknown
                raise
            finally:
                os.fsync(fd)
                if hasher is not None:
                    with self._lock:
                        self._hashers[upload_id] = hasher
        info = self.find_upload(upload_id)
        if info is None:
            raise upload_missing(upload_id)
        return info

    def finish_upload(self, upload_id: str, *, digest: str) -> BlobInfo:
        hex_of(digest)
        folder = self._session(upload_id)
        try:
            with self._locked_data(upload_id) as fd:
                size = os.fstat(fd).st_size
                with self._lock:
                    hasher = self._hashers.pop(upload_id, None)
                if hasher is None or hasher.size != size:
                    hasher = Hasher()
                    with (folder / "data").open("rb") as handle:
                        for data in read_chunks(handle):
                            hasher.update(data)
                hasher.check(f"upload {upload_id}", digest=digest, size=None)
                info = self._place(folder / "data", digest, size)
        finally:
            with self._lock:
                self._hashers.pop(upload_id, None)
            shutil.rmtree(folder, ignore_errors=True)
        return info

    def abort_upload(self, upload_id: str) -> bool:
        if not UPLOAD_ID.fullmatch(upload_id):
            return False
        folder = self._uploads / upload_id
        if not folder.is_dir():
            return False
        with self._lock:
            self._hashers.pop(upload_id, None)
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def iter_uploads(self) -> Iterator[UploadInfo]:
        for folder in sorted(self._uploads.iterdir()):
            info = self.find_upload(folder.name) if UPLOAD_ID.fullmatch(folder.name) else None
            if info is not None:
                yield info

    def sweep(self, *, before: float) -> int:
        removed = 0
        for path in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
        return removed

    def close(self) -> None:
        """Nothing to release (idempotent)."""
