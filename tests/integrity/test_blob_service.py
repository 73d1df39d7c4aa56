"""The blob service over each database: events of stored and collected blobs, the files index
kept with registrations, garbage collection, tamper checks and the trust gate of pulls."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from llm_registry.assets.models import VersionDocument
from llm_registry.domain.access import Actor, Role
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import NotFoundError, PolicyDeniedError, ValidationError
from llm_registry.integrity.blob_schema import version_files
from llm_registry.integrity.store_local import LocalBlobStore

TESTER = Actor("tester", Role.ADMIN)


def blob(data: bytes) -> tuple[str, int]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def stored(registry: EmbeddedRegistry, data: bytes) -> dict[str, Any]:
    digest, size = blob(data)
    registry.services.blobs.put([data], digest=digest, actor=TESTER)
    return {"digest": digest, "size": size}


def with_files(name: str, files: dict[str, dict[str, Any]], version: str = "1.0.0") -> dict[str, Any]:
    return {"kind": "dataset", "name": name, "version": version,
            "content": {"files": [{"path": path, **entry} for path, entry in files.items()]}}


def indexed(registry: EmbeddedRegistry) -> set[tuple[str, str, int]]:
    with registry.store.engine.connect() as connection:  # type: ignore[attr-defined]
        rows = connection.execute(sa.select(version_files.c.path, version_files.c.digest, version_files.c.size))
        return {(r.path, r.digest, r.size) for r in rows}


def test_a_new_blob_is_announced_once(blob_registry: EmbeddedRegistry) -> None:
    digest, size = blob(b"weights")
    blobs = blob_registry.services.blobs
    created = blobs.put([b"wei", b"ghts"], digest=digest, actor=TESTER)
    again = blobs.put([b"weights"], digest=digest, actor=TESTER)
    assert (created[1], again[1]) == (True, False)
    events = blob_registry.events(type=["blob.uploaded"]).items
    assert [(e.subject, e.actor, e.payload) for e in events] == [(digest, "tester", {"size": size})]
    assert blobs.get(digest).size == size
    with pytest.raises(NotFoundError) as info:
        blobs.get(blob(b"none")[0])
    assert info.value.code == "blob_not_found"


def test_a_wrong_digest_is_refused_and_announced_nowhere(blob_registry: EmbeddedRegistry) -> None:
    with pytest.raises(ValidationError) as info:
        blob_registry.services.blobs.put([b"weights"], digest=blob(b"other")[0], actor=TESTER)
    assert info.value.code == "digest_mismatch"
    assert blob_registry.events(type=["blob.uploaded"]).items == []
    assert list(blob_registry.services.blobs.store.iter_blobs()) == []


def test_files_are_indexed_with_their_registration_and_go_with_their_version(
    blob_registry: EmbeddedRegistry,
) -> None:
    a, b = stored(blob_registry, b"a"), stored(blob_registry, b"b")
    blob_registry.register(with_files("acme/one", {"a.bin": a, "sub/b.bin": b}))
    blob_registry.register_many([with_files("acme/two", {"b.bin": b}), with_files("acme/three", {})])
    assert indexed(blob_registry) == {("a.bin", a["digest"], 1), ("sub/b.bin", b["digest"], 1),
                                      ("b.bin", b["digest"], 1)}
    blob_registry.delete("dataset:acme/one@1.0.0")
    assert indexed(blob_registry) == {("b.bin", b["digest"], 1)}


def test_gc_removes_only_blobs_no_version_holds_once_past_the_grace(blob_registry: EmbeddedRegistry) -> None:
    blobs = blob_registry.services.blobs
    x, shared, z, loose = (stored(blob_registry, data) for data in (b"x", b"shared", b"z", b"loose"))
    blob_registry.register(with_files("acme/a", {"x": x, "shared": shared}))
    blob_registry.register(with_files("acme/b", {"shared": shared, "z": z}))
    single = stored(blob_registry, b"single")  # a version whose content is one blob
    blob_registry.register({"kind": "model", "name": "acme/single", "version": "1.0.0",
                            "content": {"digest": single["digest"], "size": single["size"]}})
    blob_registry.delete("dataset:acme/a@1.0.0")

    young = blobs.collect_garbage(grace=3600, dry_run=False, actor=TESTER)
    assert (young.scanned, young.too_young, young.removed) == (5, 5, [])
    dry = blobs.collect_garbage(grace=0, dry_run=True, actor=TESTER)
    assert sorted(b.digest for b in dry.removed) == sorted([x["digest"], loose["digest"]])
    assert blobs.find(x["digest"]) is not None  # a dry run removes nothing

    report = blobs.collect_garbage(grace=0, dry_run=False, actor=TESTER)
    assert sorted(b.digest for b in report.removed) == sorted([x["digest"], loose["digest"]])
    assert (report.scanned, report.referenced, report.bytes_freed) == (5, 3, 6)
    for kept in (shared, z, single):
        assert blobs.find(kept["digest"]) is not None
    for gone in (x, loose):
        assert blobs.find(gone["digest"]) is None
    deleted = blob_registry.events(type=["blob.deleted"]).items
    assert sorted(e.subject for e in deleted) == sorted([x["digest"], loose["digest"]])


def test_gc_drops_idle_upload_sessions_and_leftovers_but_not_active_ones(blob_registry: EmbeddedRegistry) -> None:
    blobs = blob_registry.services.blobs
    idle = blobs.start_upload(actor=TESTER)
    blobs.append_upload(idle.id, [b"half of it"], offset=0, actor=TESTER)
    store = blobs.store
    assert isinstance(store, LocalBlobStore)
    leftover = store.root / "tmp" / "crashed.part"
    leftover.write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(store.root / "uploads" / idle.id / "data", (old, old))
    os.utime(leftover, (old, old))
    active = blobs.start_upload(actor=TESTER)
    blobs.append_upload(active.id, [b"being written"], offset=0, actor=TESTER)

    report = blobs.collect_garbage(grace=3600, dry_run=False, actor=TESTER)
    assert (report.uploads_removed, report.temporary_removed) == (1, 1)
    assert store.find_upload(idle.id) is None
    assert store.find_upload(active.id) is not None
    assert not leftover.exists()


def test_verify_blob_detects_bytes_changed_on_disk(blob_registry: EmbeddedRegistry) -> None:
    blobs = blob_registry.services.blobs
    good = stored(blob_registry, b"the real weights")
    assert blobs.verify_blob(good["digest"]) is True
    store = blobs.store
    assert isinstance(store, LocalBlobStore)
    store.path_of(good["digest"]).write_bytes(b"the fake weights")
    assert blobs.verify_blob(good["digest"]) is False
    with pytest.raises(NotFoundError):
        blobs.verify_blob(blob(b"missing")[0])


def test_upload_sessions_belong_to_their_owner(blob_registry: EmbeddedRegistry) -> None:
    blobs = blob_registry.services.blobs
    alice, bob = Actor("alice", Role.USER), Actor("bob", Role.USER)
    session = blobs.start_upload(actor=alice)
    for call in (lambda: blobs.get_upload(session.id, actor=bob),
                 lambda: blobs.append_upload(session.id, [b"x"], offset=0, actor=bob),
                 lambda: blobs.finish_upload(session.id, digest=blob(b"")[0], actor=bob),
                 lambda: blobs.abort_upload(session.id, actor=bob)):
        with pytest.raises(NotFoundError) as info:
            call()
        assert info.value.code == "upload_not_found"
    assert blobs.get_upload(session.id, actor=TESTER).owner == "alice"  # an admin sees every session
    blobs.append_upload(session.id, [b"data"], offset=0, actor=alice)
    assert blobs.finish_upload(session.id, digest=blob(b"data")[0], actor=alice)[0].size == 4


class DenyNamespace:
    """A trust gate that refuses every version of one namespace and warns about the others."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.asked: list[tuple[str, str]] = []

    def check(self, version: VersionDocument, *, operation: str) -> list[str]:
        self.asked.append((version.ref, operation))
        if version.name.startswith(self.namespace + "/"):
            raise PolicyDeniedError(f"{version.ref} is not signed by a trusted signer")
        return [f"{version.ref} is not signed"]


def test_pull_asks_the_trust_gate_and_none_means_no_policy(blob_registry: EmbeddedRegistry) -> None:
    blobs = blob_registry.services.blobs
    a = stored(blob_registry, b"a")
    blob_registry.register(with_files("acme/data", {"a": a}))
    blob_registry.register(with_files("evil/data", {"a": a}))
    blob_registry.register({"kind": "prompt", "name": "acme/empty", "version": "1.0.0",
                            "spec": {"template": "hi"}})
    assert blobs.trust is None
    plan = blobs.pull_plan("dataset:acme/data", actor=TESTER)
    assert (plan.ref, [f.path for f in plan.files], plan.warnings) == ("dataset:acme/data@1.0.0", ["a"], [])
    with pytest.raises(ValidationError) as info:
        blobs.pull_plan("prompt:acme/empty", actor=TESTER)
    assert info.value.code == "no_files"

    gate = DenyNamespace("evil")
    blobs.trust = gate
    assert blobs.pull_plan("dataset:acme/data", actor=TESTER).warnings == ["dataset:acme/data@1.0.0 is not signed"]
    with pytest.raises(PolicyDeniedError):
        blobs.pull_plan("dataset:evil/data@1.0.0", actor=TESTER)
    assert gate.asked == [("dataset:acme/data@1.0.0", "pull"), ("dataset:evil/data@1.0.0", "pull")]


def test_a_registry_in_a_database_needs_a_blob_root(location: str, backend: str, tmp_path: Path) -> None:
    from llm_registry.registry import Registry
    from llm_registry.settings import Settings

    if backend != "postgresql":
        pytest.skip("a folder location has blobs/ of its own")
    with Registry.open(location, settings=Settings(), actor="tester") as registry:
        assert isinstance(registry, EmbeddedRegistry)
        registry.register(with_files("acme/x", {}))  # registries without bytes work as ever
        with pytest.raises(ValidationError) as info:
            registry.services.blobs.find(blob(b"x")[0])
        assert (info.value.code, info.value.field) == ("invalid_parameter", "blob_root")
