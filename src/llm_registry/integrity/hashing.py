"""Hashing bytes as they pass: the digests and sizes of streams, and the refusal of a claim
they do not meet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from llm_registry.domain.digests import validate_digest
from llm_registry.errors import ValidationError

# Bytes read or written at a time: large enough that per-call costs vanish, small enough that
# memory stays flat whatever the size of the blob.
CHUNK = 1 << 20
PREFIX = "sha256:"


def hex_of(digest: str) -> str:
    """The 64 hex digits of a ``sha256:`` digest; raises ValidationError (``invalid_digest``)."""
    return validate_digest(digest).removeprefix(PREFIX)


def read_chunks(handle: BinaryIO, *, chunk: int = CHUNK, limit: int | None = None) -> Iterator[bytes]:
    """The bytes of ``handle`` from where it stands, ``chunk`` at a time (at most ``limit`` in all)."""
    left = limit
    while left is None or left > 0:
        data = handle.read(chunk if left is None else min(chunk, left))
        if not data:
            return
        if left is not None:
            left -= len(data)
        yield data


class ReadsInto(Protocol):
    """What ``read_into`` reads: a raw file, a socket's file, an HTTP response."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


def read_into(handle: ReadsInto, *, chunk: int = CHUNK, limit: int | None = None) -> Iterator[memoryview]:
    """The bytes of ``handle`` from where it stands (at most ``limit``), read ``chunk`` at a time
    into one buffer: each view is valid only until the next one is asked for (hash it, write it,
    never keep it). Reading into the same memory spares a new megabyte, and a copy, per chunk."""
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    left = limit
    while left is None or left > 0:
        got = handle.readinto(view if left is None or left >= chunk else view[:left])
        if not got:
            return
        if left is not None:
            left -= got
        yield view[:got]


def digest_of_path(path: Path) -> tuple[str, int]:
    """(sha256 digest, size) of the file ``path``; raises OSError."""
    hasher = Hasher()
    with path.open("rb", buffering=0) as handle:
        for data in read_into(handle):
            hasher.update(data)
    return hasher.digest, hasher.size


def mismatch(what: str, *, digest: str | None, size: int | None, got_digest: str, got_size: int) -> ValidationError:
    """The refusal of bytes whose digest or size is not what was claimed for them."""
    if size is not None and got_size != size:
        message = f"{what}: {got_size} bytes, not the {size} claimed"
    else:
        message = f"{what}: the bytes have digest {got_digest}, not the {digest} claimed"
    return ValidationError(message + "; nothing was kept", code="digest_mismatch", field="digest",
                           details={"expected": digest, "actual": got_digest, "expected_size": size,
                                    "actual_size": got_size})


class Hasher:
    """sha256 and byte count of what it was given."""

    __slots__ = ("_hash", "size")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)
        self.size += len(data)

    @property
    def digest(self) -> str:
        return PREFIX + self._hash.hexdigest()

    def copy(self) -> Hasher:
        other = Hasher()
        other._hash = self._hash.copy()
        other.size = self.size
        return other

    def check(self, what: str, *, digest: str | None, size: int | None) -> str:
        """The digest; raises ValidationError (``digest_mismatch``) unless it and the size are as claimed."""
        got = self.digest
        if (digest is not None and got != digest) or (size is not None and self.size != size):
            raise mismatch(what, digest=digest, size=size, got_digest=got, got_size=self.size)
        return got


def hashed(chunks: Iterable[bytes], hasher: Hasher, *, size: int | None = None, what: str = "blob",
           digest: str | None = None) -> Iterator[bytes]:
    """``chunks``, each added to ``hasher`` as it passes; refuses more bytes than ``size`` at once."""
    for data in chunks:
        hasher.update(data)
        if size is not None and hasher.size > size:
            raise mismatch(what, digest=digest, size=size, got_digest=hasher.digest, got_size=hasher.size)
        yield data


def digest_of_file(handle: BinaryIO) -> tuple[str, int]:
    """(sha256 digest, size) of the rest of ``handle``."""
    hasher = Hasher()
    for data in read_chunks(handle):
        hasher.update(data)
    return hasher.digest, hasher.size
