"""The contracts of integrity: where the bytes of versions live, and the gate that decides
whether a version may be handed out or promoted.

``BlobStore`` holds blobs by digest (``sha256:<hex>``): identical content is stored once, a blob
is written whole or not at all, and its bytes are read back as they were written. Backends: a
local folder and S3-compatible storage. ``TrustGate`` is asked by the services that hand a
version out (``pull``) or promote it (an alias move): it answers warnings, or raises
PolicyDeniedError when the trust policy in force refuses the version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from llm_registry.assets.models import VersionDocument


@dataclass(frozen=True, slots=True)
class BlobInfo:
    digest: str
    size: int


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

    def close(self) -> None: ...


class TrustGate(Protocol):
    def check(self, version: VersionDocument, *, operation: str) -> list[str]:
        """Warnings about ``version`` for ``operation`` (``pull`` or ``move_alias``); raises
        PolicyDeniedError when the trust policy in force for its kind and namespace refuses it."""
        ...
