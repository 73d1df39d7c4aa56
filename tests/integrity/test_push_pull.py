"""push and pull through the Python API, embedded (SQLite, PostgreSQL) and remote (the REST app in
process): only missing blobs go, files of a version never change, every file is checked while it
is written, a pull cut short continues, a wrong file is removed and refused."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import obstore
import pytest
import sqlalchemy as sa

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ConflictError, ValidationError
from llm_registry.integrity.store_local import LocalBlobStore
from llm_registry.integrity.store_s3 import S3BlobStore
from llm_registry.registry import Registry
from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings
from tests.api.conftest import as_tester
from tests.integrity.conftest import blob_settings, s3_settings, s3_store
from tests.integrity.s3 import S3Endpoint

CHUNK = 65_536
MANIFEST = {"kind": "model", "name": "acme/tiny", "version": "1.0.0", "spec": {"architecture": "llama"}}


@pytest.fixture(params=["sqlite", "postgresql", "remote"])
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pair(variant: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Registry, EmbeddedRegistry]]:
    """(the registry under test, an embedded registry on the same database and blobs)."""
    backend = "postgresql" if variant == "postgresql" else "sqlite"
    location = str(request.getfixturevalue("postgres_url")) if backend == "postgresql" else str(tmp_path / "reg")
    settings = blob_settings(backend, "local", tmp_path, request)
    with Registry.open(location, settings=settings, actor="tester") as twin:
        assert isinstance(twin, EmbeddedRegistry)
        if variant != "remote":
            yield twin, twin
            return
        app = create_app(Settings.load({"url": location, "access_log": False}, environ={}), authenticator=as_tester)
        client_settings = Settings.load({"blob_chunk_bytes": CHUNK}, environ={})
        with RemoteRegistry("http://registry.test", settings=client_settings,
                            transport=InProcessTransport(app)) as remote:
            yield remote, twin


def folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


FILES = {"config.json": b'{"layers": 2}', "weights/part-1.bin": os.urandom(200_000),
         "weights/part-2.bin": os.urandom(70_000), "empty.txt": b"", "copy.bin": b"same", "again.bin": b"same"}


def test_push_a_folder_then_pull_it(pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path) -> None:
    registry, twin = pair
    source = folder(tmp_path / "src", FILES)
    seen: list[tuple[int, int]] = []
    pushed = registry.push(MANIFEST, [source], progress=lambda done, total: seen.append((done, total)))
    assert (pushed.ref, pushed.created, pushed.files, pushed.uploaded, pushed.skipped) == (
        "model:acme/tiny@1.0.0", True, 6, 5, 0)
    assert pushed.bytes_uploaded == sum(len(d) for d in FILES.values()) - 4
    assert seen[-1] == (pushed.bytes_uploaded, pushed.bytes_uploaded)
    document = registry.get("model:acme/tiny@1.0.0")
    assert document.content is not None
    assert document.content.files is not None
    assert [(f.path, f.digest, f.size) for f in document.content.files] == sorted(
        (name, digest(data), len(data)) for name, data in FILES.items())
    assert twin.services.blobs.find(digest(FILES["weights/part-1.bin"])) is not None

    again = registry.push(MANIFEST, [source])
    assert (again.created, again.uploaded, again.skipped, again.bytes_uploaded) == (False, 0, 5, 0)

    pulled = registry.pull("model:acme/tiny", tmp_path / "out")
    assert (pulled.files, pulled.downloaded, pulled.skipped) == (6, 6, 0)
    for name, data in FILES.items():
        assert (tmp_path / "out" / name).read_bytes() == data
    assert not list((tmp_path / "out").rglob("*.part"))
    assert registry.pull("model:acme/tiny@1.0.0", tmp_path / "out").skipped == 6
    uploaded = twin.events(type=["blob.uploaded"]).items
    assert len(uploaded) == 5


def test_push_to_a_registered_version_checks_its_files(pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path) -> None:
    registry, twin = pair
    source = folder(tmp_path / "src", {"a.bin": b"aaa", "b.bin": b"bbb"})
    declared = {**MANIFEST, "content": {"files": [{"path": "a.bin", "digest": digest(b"aaa"), "size": 3},
                                                  {"path": "b.bin", "digest": digest(b"bbb"), "size": 3}]}}
    registry.register(declared)  # declared, bytes not sent yet
    assert twin.services.blobs.find(digest(b"aaa")) is None
    result = registry.push("model:acme/tiny@1.0.0", [source])
    assert (result.created, result.uploaded) == (False, 2)
    assert twin.services.blobs.find(digest(b"aaa")) is not None

    (source / "b.bin").write_bytes(b"BBB")
    with pytest.raises(ConflictError) as changed:
        registry.push("model:acme/tiny", [source])
    assert (changed.value.code, changed.value.field) == ("version_conflict", "content.files[1]")
    (source / "b.bin").unlink()
    with pytest.raises(ValidationError) as missing:
        registry.push("model:acme/tiny", [source])
    assert missing.value.field == "content.files[1].path"
    (source / "b.bin").write_bytes(b"bbb")
    (source / "c.bin").write_bytes(b"c")
    with pytest.raises(ConflictError):
        registry.push("model:acme/tiny", [source])
    assert twin.services.blobs.find(digest(b"c")) is None


def test_a_document_that_claims_other_files_registers_nothing(
    pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path
) -> None:
    registry, twin = pair
    source = folder(tmp_path / "src", {"a.bin": b"aaa"})
    claims = {**MANIFEST, "content": {"files": [{"path": "a.bin", "digest": digest(b"zzz"), "size": 3}]}}
    with pytest.raises(ValidationError) as info:
        registry.push(claims, [source])
    assert (info.value.code, info.value.field) == ("digest_mismatch", "content.files[0]")
    assert twin.assets().items == []
    with pytest.raises(ValidationError) as traversal:
        registry.push({**MANIFEST, "content": {"files": [{"path": "../a.bin"}]}}, [source])
    assert traversal.value.field == "content.files[0].path"
    assert twin.assets().items == []


def test_files_and_a_files_root(pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path) -> None:
    registry, _ = pair
    source = folder(tmp_path / "src", {"a/x.bin": b"x", "b/y.bin": b"y"})
    by_name = registry.push(MANIFEST, [source / "a" / "x.bin", source / "b" / "y.bin"])
    assert [f.path for f in (registry.get(by_name.ref).content.files or [])] == ["x.bin", "y.bin"]  # type: ignore[union-attr]
    rooted = registry.push({**MANIFEST, "version": "2.0.0"}, [source / "a", source / "b" / "y.bin"], files_root=source)
    assert [f.path for f in (registry.get(rooted.ref).content.files or [])] == ["a/x.bin", "b/y.bin"]  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        registry.push({**MANIFEST, "version": "3.0.0"}, [source / "a" / "x.bin", source / "a" / "x.bin"])


def test_a_pull_cut_short_continues_and_a_wrong_file_is_replaced(
    pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path
) -> None:
    registry, _ = pair
    big = FILES["weights/part-1.bin"]
    registry.push(MANIFEST, [folder(tmp_path / "src", {"big.bin": big, "small.txt": b"small"})])
    out = tmp_path / "out"
    out.mkdir()
    (out / "big.bin.part").write_bytes(big[:150_000])  # what a pull cut short left
    (out / "small.txt").write_bytes(b"SMALL")  # a wrong file in the way
    result = registry.pull("model:acme/tiny", out)
    assert result.downloaded == 2
    assert result.bytes_downloaded == len(big) - 150_000 + 5
    assert (out / "big.bin").read_bytes() == big
    assert (out / "small.txt").read_bytes() == b"small"


def test_a_tampered_blob_is_refused_by_pull_and_the_bad_file_removed(
    pair: tuple[Registry, EmbeddedRegistry], tmp_path: Path
) -> None:
    registry, twin = pair
    registry.push(MANIFEST, [folder(tmp_path / "src", {"w.bin": b"real weights", "ok.txt": b"fine"})])
    store = twin.services.blobs.store
    assert isinstance(store, LocalBlobStore)
    store.path_of(digest(b"real weights")).write_bytes(b"fake weights")  # same size, other bytes
    assert twin.services.blobs.verify_blob(digest(b"real weights")) is False
    with pytest.raises(ValidationError) as info:
        registry.pull("model:acme/tiny", tmp_path / "out")
    assert info.value.code == "digest_mismatch"
    assert not (tmp_path / "out" / "w.bin").exists()
    assert not (tmp_path / "out" / "w.bin.part").exists()
    assert (tmp_path / "out" / "ok.txt").read_bytes() == b"fine"


def test_pull_refuses_a_stored_path_that_leaves_the_folder(blob_registry: EmbeddedRegistry, tmp_path: Path) -> None:
    registry = blob_registry
    registry.push(MANIFEST, [folder(tmp_path / "src", {"a.bin": b"a"})])
    document = registry.get("model:acme/tiny@1.0.0")
    content: dict[str, Any] = document.model_dump(mode="json", exclude_none=True)["content"]
    content["files"][0]["path"] = "../../escaped.bin"  # as a version registered before paths were checked
    engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE versions SET content = :c"), {"c": json.dumps(content)})
    with pytest.raises(ValidationError) as info:
        registry.pull("model:acme/tiny", tmp_path / "deep" / "out")
    assert (info.value.code, info.value.field) == ("invalid_manifest", "content.files[0].path")
    assert not (tmp_path / "escaped.bin").exists()


def test_a_failed_upload_registers_nothing(tmp_path: Path) -> None:
    location = str(tmp_path / "reg")
    app = create_app(Settings.load({"url": location, "access_log": False, "max_blob_bytes": 100_000}, environ={}),
                     authenticator=as_tester)
    with RemoteRegistry("http://registry.test", settings=Settings.load({"blob_chunk_bytes": CHUNK}, environ={}),
                        transport=InProcessTransport(app)) as remote:
        with pytest.raises(ValidationError) as info:
            remote.push(MANIFEST, [folder(tmp_path / "src", {"small": b"s", "big": os.urandom(60_000 * 2)})])
        assert info.value.details.get("code") == "payload_too_large" or info.value.code == "invalid_parameter"
        assert remote.assets().items == []


def test_push_and_pull_on_s3_and_an_object_changed_in_the_bucket(tmp_path: Path, s3: S3Endpoint) -> None:
    settings = Settings(**s3_settings(s3))  # type: ignore[arg-type]
    with Registry.open(str(tmp_path / "reg"), settings=settings, actor="tester") as registry:
        assert isinstance(registry, EmbeddedRegistry)
        registry.push(MANIFEST, [folder(tmp_path / "src", {"w.bin": b"real weights", "big.bin": FILES["copy.bin"]})])
        assert registry.pull("model:acme/tiny", tmp_path / "good").files == 2
        assert (tmp_path / "good" / "w.bin").read_bytes() == b"real weights"
        store = registry.services.blobs.store
        assert isinstance(store, S3BlobStore)
        # Someone with access to the bucket changes the object behind the registry's back.
        other = s3_store(s3, prefix=store.prefix)
        obstore.put(other._store, store.key_of(digest(b"real weights")), b"fake weights")
        assert registry.services.blobs.verify_blob(digest(b"real weights")) is False
        with pytest.raises(ValidationError) as info:
            registry.pull("model:acme/tiny", tmp_path / "bad")
        assert info.value.code == "digest_mismatch"
        assert not (tmp_path / "bad" / "w.bin").exists()
        assert not (tmp_path / "bad" / "w.bin.part").exists()


def test_a_second_push_takes_digests_from_the_cache_until_a_file_changes(
    blob_registry: EmbeddedRegistry, tmp_path: Path, own_cache: Path
) -> None:
    registry = blob_registry
    source = folder(tmp_path / "src", {"a.bin": b"aaaa", "b.bin": b"bbbb"})
    old = time.time() - 60
    for path in source.iterdir():
        os.utime(path, (old, old))
    registry.push(MANIFEST, [source])
    cache = sqlite3.connect(own_cache / "llm-registry" / "digests.sqlite3")
    remembered = dict(cache.execute("SELECT path, digest FROM digests").fetchall())
    assert remembered == {str((source / "a.bin").resolve()): digest(b"aaaa"),
                          str((source / "b.bin").resolve()): digest(b"bbbb")}
    assert registry.push("model:acme/tiny@1.0.0", [source]).skipped == 2
    # Same size, same modification time: the change time tells the cache the file changed.
    (source / "a.bin").write_bytes(b"AAAA")
    os.utime(source / "a.bin", (old, old))
    with pytest.raises(ConflictError):
        registry.push("model:acme/tiny@1.0.0", [source])
    cache.close()


def test_verify_checks_that_the_pushed_files_are_stored(pair: tuple[Registry, EmbeddedRegistry],
                                                         tmp_path: Path) -> None:
    registry, twin = pair
    registry.push(MANIFEST, [folder(tmp_path / "src", {"w.bin": b"real weights", "ok.txt": b"fine"})])
    report = registry.verify("model:acme/tiny@1.0.0")
    assert report.ok
    assert [(c.subject, c.status.value) for c in report.checks if c.check == "stored"] == [("blobs", "ok")]
    store = twin.services.blobs.store
    assert isinstance(store, LocalBlobStore)
    store.path_of(digest(b"fine")).unlink()  # one blob lost from the store
    lost = registry.verify("model:acme/tiny@1.0.0")
    assert not lost.ok
    stored = [(c.subject, c.status.value) for c in lost.checks if c.check == "stored"]
    assert stored == [("ok.txt", "failed"), ("blobs", "failed")]
