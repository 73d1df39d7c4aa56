"""One conformance suite, every blob store backend (a local folder; S3 over real HTTP): blobs are
content-addressed, stored once, written whole or not at all, and read back as written; uploads
resume, refuse chunks out of order and a wrong digest, and keep nothing of a refused one."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.integrity.interfaces import BlobStore
from llm_registry.integrity.store_local import LocalBlobStore

DATA = random.Random(5).randbytes(300_000)  # the same in every test process (ids name it)
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
OTHER = "sha256:" + hashlib.sha256(b"other").hexdigest()


def pieces(data: bytes, size: int = 65_536) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


class CutShort(Exception):
    """The body of a request ended before its bytes did."""


def cut_after(data: bytes, count: int) -> Iterator[bytes]:
    yield data[:count]
    raise CutShort


def nothing_stored(store: BlobStore) -> None:
    assert list(store.iter_blobs()) == []
    if isinstance(store, LocalBlobStore):
        assert list((store.root / "tmp").iterdir()) == []


def test_a_blob_is_stored_by_its_digest_and_read_back(blob_store: BlobStore) -> None:
    info = blob_store.put(pieces(DATA), digest=DIGEST, size=len(DATA))
    assert (info.digest, info.size) == (DIGEST, len(DATA))
    assert blob_store.has(DIGEST)
    stat = blob_store.stat(DIGEST)
    assert stat is not None
    assert (stat.digest, stat.size) == (DIGEST, len(DATA))
    assert stat.modified_at is not None
    assert abs(stat.modified_at - time.time()) < 120
    with blob_store.open(DIGEST) as handle:
        assert handle.read() == DATA
    with blob_store.open(DIGEST, offset=123_456) as handle:
        assert handle.read(10) == DATA[123_456:123_466]
        assert handle.read() == DATA[123_466:]
    assert [(b.digest, b.size) for b in blob_store.iter_blobs()] == [(DIGEST, len(DATA))]


def test_identical_content_is_stored_once(blob_store: BlobStore) -> None:
    blob_store.put(pieces(DATA), digest=DIGEST)
    again = blob_store.put(pieces(DATA, 1000), digest=DIGEST)
    unclaimed = blob_store.put(pieces(DATA))
    assert again.digest == unclaimed.digest == DIGEST
    assert len(list(blob_store.iter_blobs())) == 1


def test_a_blob_without_a_claimed_digest_is_stored_under_the_one_computed(blob_store: BlobStore) -> None:
    assert blob_store.put([b"hello ", b"world"]).digest == "sha256:" + hashlib.sha256(b"hello world").hexdigest()
    assert blob_store.has("sha256:" + hashlib.sha256(b"hello world").hexdigest())


@pytest.mark.parametrize(("digest", "size"), [(OTHER, None), (DIGEST, len(DATA) - 1), (DIGEST, len(DATA) + 1)])
def test_a_wrong_claim_is_refused_and_nothing_kept(blob_store: BlobStore, digest: str, size: int | None) -> None:
    with pytest.raises(ValidationError) as info:
        blob_store.put(pieces(DATA), digest=digest, size=size)
    assert info.value.code == "digest_mismatch"
    assert not blob_store.has(DIGEST)
    assert not blob_store.has(OTHER)
    nothing_stored(blob_store)


def test_a_wrong_claim_on_stored_content_is_refused_too(blob_store: BlobStore) -> None:
    blob_store.put(pieces(b"other"), digest=OTHER)
    with pytest.raises(ValidationError) as info:
        blob_store.put(pieces(DATA), digest=OTHER)
    assert info.value.code == "digest_mismatch"
    with blob_store.open(OTHER) as handle:
        assert handle.read() == b"other"


def test_a_body_cut_short_stores_nothing(blob_store: BlobStore) -> None:
    with pytest.raises(CutShort):
        blob_store.put(cut_after(DATA, 100_000), digest=DIGEST, size=len(DATA))
    assert not blob_store.has(DIGEST)
    nothing_stored(blob_store)


def test_a_missing_blob_is_not_found(blob_store: BlobStore) -> None:
    assert not blob_store.has(OTHER)
    assert blob_store.stat(OTHER) is None
    with pytest.raises(NotFoundError) as info:
        blob_store.open(OTHER)
    assert info.value.code == "blob_not_found"
    assert blob_store.delete(OTHER) is False


def test_delete(blob_store: BlobStore) -> None:
    blob_store.put([DATA], digest=DIGEST)
    assert blob_store.delete(DIGEST) is True
    assert not blob_store.has(DIGEST)
    assert list(blob_store.iter_blobs()) == []


def test_an_upload_in_chunks_becomes_the_blob(blob_store: BlobStore) -> None:
    session = blob_store.start_upload(owner="alice")
    assert (session.offset, session.owner) == (0, "alice")
    after = blob_store.append_upload(session.id, pieces(DATA[:100_000]), offset=0)
    assert after.offset == 100_000
    found = blob_store.find_upload(session.id)
    assert found is not None
    assert (found.offset, found.owner) == (100_000, "alice")
    assert not blob_store.has(DIGEST)  # nothing under the digest before the upload finishes
    blob_store.append_upload(session.id, pieces(DATA[100_000:]), offset=100_000)
    info = blob_store.finish_upload(session.id, digest=DIGEST)
    assert (info.digest, info.size) == (DIGEST, len(DATA))
    with blob_store.open(DIGEST) as handle:
        assert handle.read() == DATA
    assert blob_store.find_upload(session.id) is None
    assert list(blob_store.iter_uploads()) == []


def test_a_chunk_out_of_order_is_refused_with_the_expected_offset(blob_store: BlobStore) -> None:
    session = blob_store.start_upload(owner="alice")
    blob_store.append_upload(session.id, [DATA[:1000]], offset=0)
    for wrong in (0, 999, 1001, 5000):
        with pytest.raises(ConflictError) as info:
            blob_store.append_upload(session.id, [DATA[wrong:wrong + 10]], offset=wrong)
        assert (info.value.code, info.value.details["offset"]) == ("invalid_offset", 1000)
    found = blob_store.find_upload(session.id)
    assert found is not None
    assert found.offset == 1000


def test_an_upload_with_the_wrong_digest_keeps_nothing(blob_store: BlobStore) -> None:
    session = blob_store.start_upload(owner="alice")
    blob_store.append_upload(session.id, [DATA], offset=0)
    with pytest.raises(ValidationError) as info:
        blob_store.finish_upload(session.id, digest=OTHER)
    assert info.value.code == "digest_mismatch"
    assert blob_store.find_upload(session.id) is None
    nothing_stored(blob_store)


def test_a_chunk_cut_short_leaves_the_session_resumable(blob_store: BlobStore) -> None:
    session = blob_store.start_upload(owner="alice")
    blob_store.append_upload(session.id, [DATA[:50_000]], offset=0)
    with pytest.raises(CutShort):
        blob_store.append_upload(session.id, cut_after(DATA[50_000:], 20_000), offset=50_000)
    found = blob_store.find_upload(session.id)
    assert found is not None
    assert found.offset in (50_000, 70_000)  # the cut chunk kept whole or not at all
    blob_store.append_upload(session.id, pieces(DATA[found.offset:]), offset=found.offset)
    assert blob_store.finish_upload(session.id, digest=DIGEST).size == len(DATA)


def test_unknown_and_aborted_sessions(blob_store: BlobStore) -> None:
    for bad in ("nope", "01J00000000000000000000000", "../../etc"):
        assert blob_store.find_upload(bad) is None
        with pytest.raises(NotFoundError) as info:
            blob_store.append_upload(bad, [b"x"], offset=0)
        assert info.value.code == "upload_not_found"
        with pytest.raises(NotFoundError):
            blob_store.finish_upload(bad, digest=DIGEST)
        assert blob_store.abort_upload(bad) is False
    session = blob_store.start_upload(owner="bob")
    blob_store.append_upload(session.id, [b"abc"], offset=0)
    assert [u.id for u in blob_store.iter_uploads()] == [session.id]
    assert blob_store.abort_upload(session.id) is True
    assert blob_store.find_upload(session.id) is None
    assert list(blob_store.iter_uploads()) == []


def test_identical_content_uploaded_again_is_stored_once(blob_store: BlobStore) -> None:
    blob_store.put([DATA], digest=DIGEST)
    session = blob_store.start_upload(owner="alice")
    blob_store.append_upload(session.id, [DATA], offset=0)
    assert blob_store.finish_upload(session.id, digest=DIGEST).digest == DIGEST
    assert len(list(blob_store.iter_blobs())) == 1


def test_sweep_removes_only_old_leftovers(blob_store: BlobStore, tmp_path: Path) -> None:
    assert blob_store.sweep(before=time.time() + 60) == 0
    blob_store.put([DATA], digest=DIGEST)
    assert blob_store.sweep(before=time.time() + 60) == 0  # blobs are never leftovers
    assert blob_store.has(DIGEST)
    if isinstance(blob_store, LocalBlobStore):
        leftover = blob_store.root / "tmp" / "crashed.part"
        leftover.write_bytes(b"partial")
        assert blob_store.sweep(before=time.time() - 3600) == 0
        assert blob_store.sweep(before=time.time() + 60) == 1
        assert not leftover.exists()


def test_local_layout_is_content_addressed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put([DATA], digest=DIGEST)
    hexdigits = DIGEST.removeprefix("sha256:")
    assert (tmp_path / "blobs" / "sha256" / hexdigits[:2] / hexdigits[2:]).read_bytes() == DATA
    assert store.path_of(DIGEST).stat().st_dev == (tmp_path / "blobs" / "tmp").stat().st_dev
