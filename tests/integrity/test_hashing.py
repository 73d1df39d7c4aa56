"""Reading into one reused buffer: every byte once, in order, up to a limit, whatever the chunk."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from llm_registry.integrity.hashing import digest_of_path, read_into

DATA = random.Random(7).randbytes(100_003)


@pytest.mark.parametrize(("chunk", "limit"), [(4096, None), (4096, 10_000), (1 << 20, None), (7, 50), (4096, 0)])
def test_read_into_gives_each_byte_once_up_to_the_limit(chunk: int, limit: int | None) -> None:
    handle = io.BytesIO(DATA)
    handle.seek(3)
    got = b"".join(bytes(view) for view in read_into(handle, chunk=chunk, limit=limit))
    assert got == DATA[3:][:limit]
    assert all(len(view) <= chunk for view in read_into(io.BytesIO(DATA), chunk=chunk))


def test_read_into_reuses_its_buffer() -> None:
    views = read_into(io.BytesIO(DATA), chunk=1000)
    first = next(views)
    kept = bytes(first)
    next(views)
    assert bytes(first) != kept  # the memory of a view is the next one's: never keep a view


def test_digest_of_path(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(DATA)
    assert digest_of_path(path) == ("sha256:" + hashlib.sha256(DATA).hexdigest(), len(DATA))
