"""Push and pull (§2.4): the files of a version between a local folder and the blob store, the
same for the embedded registry (the service directly) and the remote one (the REST routes): both
give a ``BlobTransport`` and the registry calls of the steps.

Push hashes the local files (a few at a time), sends only the blobs the store lacks, then
registers the document (a new version) or checks the files against those the version declares
(an existing one): a version is never registered before its bytes are stored, and files of a
registered version cannot change. Pull writes each file to ``NAME.part`` beside its place,
hashing as it writes, continues a ``.part`` a previous pull left, and renames it into place
only when its digest and size are right; a file already in place with the right digest is
kept. A wrong file is removed and the pull refused (``digest_mismatch``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from llm_registry.assets.manifests import ManifestInput, read_manifest
from llm_registry.assets.models import FileEntry, VersionDocument
from llm_registry.domain.access import Actor
from llm_registry.domain.paths import check_file_paths, path_problem
from llm_registry.domain.references import parse_reference
from llm_registry.errors import ConflictError, RegistryError, ValidationError
from llm_registry.integrity.blobs import BlobService
from llm_registry.integrity.digest_cache import DigestCache
from llm_registry.integrity.hashing import CHUNK, Hasher, digest_of_path, mismatch, read_chunks, read_into
from llm_registry.integrity.models import PullPlan, PullResult, PushResult

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[int, int], None]
"""Called as bytes move: (bytes moved so far, bytes to move in all)."""

PART_SUFFIX = ".part"


class BlobTransport(Protocol):
    """How push and pull reach a blob store."""

    def has(self, digest: str) -> bool:
        """Whether the blob is stored."""
        ...

    def upload(self, path: Path, *, digest: str, size: int, sent: Callable[[int], None]) -> None:
        """Store the file ``path`` as the blob ``digest``, calling ``sent(n)`` as ``n`` more bytes go."""
        ...

    def download(self, digest: str, *, offset: int) -> AbstractContextManager[Iterable[bytes | memoryview]]:
        """The blob's bytes from ``offset``, a chunk at a time; a chunk may be a view of memory
        that the next one reuses (written and hashed as it comes, never kept)."""
        ...


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: str  # as recorded in content.files
    source: Path
    digest: str
    size: int

    def entry(self) -> dict[str, Any]:
        return {"path": self.path, "digest": self.digest, "size": self.size}


class _Meter:
    """Bytes moved so far, reported to ``progress`` one call at a time."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self._progress = progress
        self._lock = threading.Lock()

    def __call__(self, count: int) -> None:
        with self._lock:
            self.done += count
            if self._progress is not None:
                self._progress(self.done, self.total)


def _map(function: Callable[[T], R], items: Sequence[T], threads: int) -> list[R]:
    """``function`` of each item, ``threads`` at a time; raises the first error once all have ended."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(items))), thread_name_prefix="transfer") as pool:
        futures = [pool.submit(function, item) for item in items]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def is_reference(value: ManifestInput) -> bool:
    """Whether ``value`` names a version (``kind:ns/name[@selector]``) rather than holding a document."""
    if not isinstance(value, str) or "\n" in value or Path(value).expanduser().is_file():
        return False
    try:
        parse_reference(value.strip())
    except RegistryError:
        return False
    return True


def local_files(paths: Sequence[Path | str], *, root: Path | None = None) -> list[tuple[str, Path]]:
    """(recorded path, file) for each file of ``paths``: a folder gives its files (recursively)
    by their path inside it, a file its name; relative to ``root`` instead when given (each must
    be inside it). Raises ValidationError for a missing path or one outside ``root``."""
    found: list[tuple[str, Path]] = []
    base = root.resolve() if root is not None else None
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            members = sorted(p for p in path.rglob("*") if p.is_file())
            pairs = [(p.relative_to(path).as_posix(), p) for p in members]
        elif path.is_file():
            pairs = [(path.name, path)]
        else:
            raise ValidationError(f"no file or folder {given}", code="invalid_parameter", field="paths")
        if base is not None:
            for _, file in pairs:
                if not file.resolve().is_relative_to(base):
                    raise ValidationError(f"{file} is not inside the files root {root}", code="invalid_parameter",
                                          field="files_root")
            pairs = [(file.resolve().relative_to(base).as_posix(), file) for _, file in pairs]
        found.extend(pairs)
    if not found:
        raise ValidationError("no files to push", code="invalid_parameter", field="paths")
    check_file_paths([name for name, _ in found], field="files")
    return found


def _hash_file(name: str, source: Path, *, cache: DigestCache | None = None) -> LocalFile:
    hasher = Hasher()
    try:
        before = source.stat()
        known = cache.find(source.resolve(), before) if cache is not None else None
        if known is not None:
            return LocalFile(name, source, known, before.st_size)
        with source.open("rb", buffering=0) as handle:
            for data in read_into(handle):
                hasher.update(data)
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror}", code="invalid_parameter",
                              field="paths") from None
    if cache is not None:
        cache.remember(source.resolve(), before, hasher.digest)
    return LocalFile(name, source, hasher.digest, hasher.size)


def describe(files: Sequence[tuple[str, Path]], *, threads: int, cache: DigestCache | None = None) -> list[LocalFile]:
    """Each file's digest and size, ``threads`` files hashed at once (known ones from ``cache``)."""
    return _map(lambda pair: _hash_file(*pair, cache=cache), files, threads)


def _check_declared(document: VersionDocument, local: Sequence[LocalFile]) -> list[LocalFile]:
    """The local files, when they are exactly the files the version declares; raises ConflictError."""
    declared = {f.path: f for f in (document.content.files or [])} if document.content is not None else {}
    if not declared:
        raise ConflictError(f"{document.ref} declares no files; files of a version cannot be added once it is "
                            "registered: register a new version", code="version_conflict", field="content.files")
    by_path = {f.path: f for f in local}
    for position, (path, entry) in enumerate(declared.items()):
        mine = by_path.get(path)
        if mine is None:
            raise ValidationError(f"{document.ref} declares {path!r}, which is not among the files given",
                                  code="invalid_parameter", field=f"content.files[{position}].path")
        if (mine.digest, mine.size) != (entry.digest, entry.size):
            raise ConflictError(
                f"{path}: the local file ({mine.digest}, {mine.size} bytes) is not the one {document.ref} declares "
                f"({entry.digest}, {entry.size} bytes); files of a version cannot change",
                code="version_conflict", field=f"content.files[{position}]",
            )
    extra = sorted(set(by_path) - set(declared))
    if extra:
        raise ConflictError(f"{extra[0]!r} is not a file of {document.ref}; files of a version cannot change",
                            code="version_conflict", field="content.files")
    return list(local)


def push_files(
    target: ManifestInput,
    paths: Sequence[Path | str],
    *,
    transport: BlobTransport,
    get: Callable[[str], VersionDocument],
    register: Callable[[Mapping[str, Any]], tuple[VersionDocument, bool]],
    files_root: Path | None = None,
    progress: Progress | None = None,
    threads: int = 4,
    cache: DigestCache | None = None,
) -> PushResult:
    """Push the files of ``paths`` for ``target``: a reference to a registered version (its files
    are checked against those declared), or a document registered once its blobs are stored.
    ``get`` reads a version, ``register`` registers a document (answering whether it is new);
    ``cache`` remembers digests of files hashed before."""
    started = time.perf_counter()
    files = local_files(paths, root=files_root)
    meter = _Meter(sum(source.stat().st_size for _, source in files), progress)
    sending = _Sending(transport, meter)
    document: Mapping[str, Any] | None = None
    existing: VersionDocument | None = None
    if is_reference(target):
        assert isinstance(target, str)
        existing = get(target.strip())
        local = describe(files, threads=threads, cache=cache)
        _check_declared(existing, local)  # before any byte goes
        _map(sending.send, local, threads)
    else:
        read = read_manifest(target)
        content = read.get("content")
        if isinstance(content, Mapping) and content.get("files"):
            local = describe(files, threads=threads, cache=cache)
            document = _with_files(read, local)  # the files it declares are checked before any byte goes
            _map(sending.send, local, threads)
        else:
            # Each file goes as soon as it is hashed, while the others are being hashed.
            local = _map(lambda pair: sending.send(_hash_file(*pair, cache=cache)), files, threads)
            document = _with_files(read, local)
    if document is not None:
        registered, created = register(document)
    else:
        assert existing is not None
        registered, created = existing, False
    # A blob found stored may have been collected since (gc removes what no version holds once
    # past its grace): now that the version holds it, send again whatever is gone.
    still = _map(lambda f: transport.has(f.digest), sending.skipped, threads)
    gone = [f for f, stored in zip(sending.skipped, still, strict=True) if not stored]
    if gone:
        meter.total += sum(f.size for f in gone)
        _map(sending.upload, gone, threads)
    return PushResult(ref=registered.ref, digest=registered.digest, created=created, files=len(local),
                      uploaded=len(sending.uploaded) + len(gone), skipped=len(sending.skipped) - len(gone),
                      bytes_uploaded=meter.done, seconds=round(time.perf_counter() - started, 3))


class _Sending:
    """Each distinct blob of a push sent once, unless the store has it (HEAD)."""

    def __init__(self, transport: BlobTransport, meter: _Meter) -> None:
        self.transport = transport
        self.meter = meter
        self.uploaded: list[LocalFile] = []
        self.skipped: list[LocalFile] = []
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def send(self, file: LocalFile) -> LocalFile:
        with self._lock:
            first = file.digest not in self._claimed
            self._claimed.add(file.digest)
        if not first or self.transport.has(file.digest):
            with self._lock:
                if first:
                    self.skipped.append(file)
                self.meter.total -= file.size  # nothing of it to send
            self.meter(0)
            return file
        self.upload(file)
        with self._lock:
            self.uploaded.append(file)
        return file

    def upload(self, file: LocalFile) -> None:
        self.transport.upload(file.source, digest=file.digest, size=file.size, sent=self.meter)


def _with_files(document: Mapping[str, Any], local: Sequence[LocalFile]) -> dict[str, Any]:
    """The document with ``content.files`` the local files; files it declares already must be them."""
    content = document.get("content") or {}
    if not isinstance(content, Mapping):
        raise ValidationError("content: expected a mapping", code="invalid_manifest", field="content")
    declared = content.get("files")
    described = sorted((f.entry() for f in local), key=lambda e: str(e["path"]))
    if declared:
        if not isinstance(declared, list):
            raise ValidationError("content.files: expected a list", code="invalid_manifest", field="content.files")
        mine = {e["path"]: e for e in described}
        merged = []
        for position, entry in enumerate(declared):
            if not isinstance(entry, Mapping) or entry.get("path") not in mine:
                raise ValidationError(f"content.files[{position}] is not among the files given",
                                      code="invalid_parameter", field=f"content.files[{position}].path")
            ours = mine.pop(str(entry["path"]))
            if (entry.get("digest"), entry.get("size")) not in ((None, None), (ours["digest"], ours["size"])):
                raise ValidationError(f"content.files[{position}]: the local file has digest {ours['digest']} and "
                                      f"{ours['size']} bytes, not what the document says", code="digest_mismatch",
                                      field=f"content.files[{position}]")
            merged.append({**entry, **ours})
        described = merged + sorted(mine.values(), key=lambda e: str(e["path"]))
    return {**document, "content": {**content, "files": described}}


def _place(dest: Path, path: str, position: int) -> Path:
    """Where the file ``path`` goes under ``dest``; raises ValidationError for a path that would
    leave it (a version registered before paths were checked)."""
    problem = path_problem(path)
    target = dest / path
    if problem is not None or not target.resolve().is_relative_to(dest.resolve()):
        raise ValidationError(f"files[{position}].path {path!r} {problem or 'leaves the destination folder'}",
                              code="invalid_manifest", field=f"content.files[{position}].path")
    return target


def _is_whole(target: Path, entry: FileEntry) -> bool:
    try:
        if target.stat().st_size != entry.size:
            return False
        return digest_of_path(target)[0] == entry.digest
    except OSError:
        return False


def _fetch(transport: BlobTransport, entry: FileEntry, target: Path, meter: _Meter) -> int:
    """Write the blob of ``entry`` to ``target`` through ``target.part``; answers the bytes fetched."""
    part = target.with_name(target.name + PART_SUFFIX)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = Hasher()
        if part.exists():
            if part.stat().st_size > entry.size:
                part.unlink()
            else:
                with part.open("rb", buffering=0) as handle:  # the bytes a pull cut short left: hashed, then continued
                    for left in read_into(handle):
                        hasher.update(left)
                meter(hasher.size)
        fetched = 0
        with part.open("ab") as out:
            if hasher.size < entry.size:
                with transport.download(entry.digest, offset=hasher.size) as chunks:
                    for data in chunks:
                        hasher.update(data)
                        if hasher.size > entry.size:
                            break
                        out.write(data)
                        fetched += len(data)
                        meter(len(data))
        if hasher.digest != entry.digest or hasher.size != entry.size:
            part.unlink(missing_ok=True)
            raise mismatch(f"{entry.path}", digest=entry.digest, size=entry.size, got_digest=hasher.digest,
                           got_size=hasher.size)
        os.replace(part, target)
        return fetched
    except OSError as exc:
        raise ValidationError(f"cannot write {target}: {exc.strerror}", code="invalid_parameter",
                              field="dest") from None


def pull_files(plan: PullPlan, dest: Path, *, transport: BlobTransport, progress: Progress | None = None,
               threads: int = 4) -> PullResult:
    """Write the files of ``plan`` under ``dest`` (created when missing), each checked; see the module."""
    started = time.perf_counter()
    dest = dest.expanduser()
    places = [_place(dest, entry.path, position) for position, entry in enumerate(plan.files)]
    pairs = list(zip(plan.files, places, strict=True))
    whole = _map(lambda pair: _is_whole(pair[1], pair[0]), pairs, threads)
    wanted = [pair for pair, done in zip(pairs, whole, strict=True) if not done]
    meter = _Meter(sum(e.size for e, _ in wanted), progress)
    fetched = _map(lambda pair: _fetch(transport, pair[0], pair[1], meter), wanted, threads)
    return PullResult(ref=plan.ref, digest=plan.digest, dest=str(dest), files=len(plan.files), downloaded=len(wanted),
                      skipped=len(plan.files) - len(wanted), bytes_downloaded=sum(fetched),
                      seconds=round(time.perf_counter() - started, 3), warnings=plan.warnings)


def file_chunks(path: Path, *, sent: Callable[[int], None], offset: int = 0, limit: int | None = None,
                chunk: int = CHUNK) -> Iterator[bytes]:
    """The bytes of ``path`` from ``offset`` (at most ``limit``), reporting each chunk to ``sent``."""
    with path.open("rb") as handle:
        handle.seek(offset)
        for data in read_chunks(handle, chunk=chunk, limit=limit):
            yield data
            sent(len(data))


class ServiceTransport:
    """A BlobTransport straight over the blob service (the embedded registry)."""

    def __init__(self, blobs: BlobService, actor: Actor) -> None:
        self.blobs = blobs
        self.actor = actor

    def has(self, digest: str) -> bool:
        return self.blobs.find(digest) is not None

    def upload(self, path: Path, *, digest: str, size: int, sent: Callable[[int], None]) -> None:
        self.blobs.put(file_chunks(path, sent=sent), digest=digest, size=size, actor=self.actor)

    @contextmanager
    def download(self, digest: str, *, offset: int) -> Iterator[Iterable[bytes | memoryview]]:
        with self.blobs.open(digest, offset=offset) as handle:
            yield read_chunks(handle)
