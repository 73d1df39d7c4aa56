"""Signatures on every variant (SQLite, PostgreSQL, remote): signing with real Ed25519 and ECDSA
keys, verification, revocation, and every kind of bad input refused with nothing written."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from llm_registry.domain.digests import canonical_json
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.integrity.trust import dsse
from llm_registry.integrity.trust.signing import sign_version, signing_key
from llm_registry.integrity.trust.statements import registry_statement
from llm_registry.registry import Registry
from tests.trust.conftest import KeyPair, database_state, model_folder, register_folder

pytestmark = pytest.mark.usefixtures("registry")


@pytest.fixture
def signed_setup(registry: Registry, keys: dict[str, KeyPair], tmp_path: Path) -> tuple[Registry, str, Path]:
    """A registry with signers ``ci`` (Ed25519) and ``release`` (P-256) and a version of a folder."""
    registry.add_signer("ci", keys["ed25519"].public)
    registry.add_signer("release", keys["p256"].public_pem)
    folder = model_folder(tmp_path / "model")
    return registry, register_folder(registry, folder), folder


def envelope_for(registry: Registry, ref: str, key: Path, statement: dict[str, Any] | None = None) -> dict[str, Any]:
    document = registry.get(ref)
    loaded = signing_key(key)
    if statement is None:
        return sign_version(document, loaded).to_json()
    return dsse.sign(canonical_json(statement), loaded).to_json()


def test_sign_verify_and_list_with_ed25519_and_p256(signed_setup: tuple[Registry, str, Path],
                                                     keys: dict[str, KeyPair]) -> None:
    registry, ref, folder = signed_setup
    first = registry.sign(ref, keys["ed25519"].private)
    second = registry.sign(ref, keys["p256"].private.read_text())
    assert (first.signer, first.format, second.signer) == ("ci", "registry", "release")
    assert first.predicate_type == "https://llm-registry/signature/v1"
    statement = json.loads(base64.b64decode(first.envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    document = registry.get(ref)
    assert document.content is not None
    assert document.content.files is not None
    assert {s["name"] for s in statement["subject"]} == {*(f.path for f in document.content.files), ref}
    assert {"name": ref, "digest": {"sha256": document.digest.removeprefix("sha256:")}} in statement["subject"]

    assert [s.id for s in registry.signatures(ref)] == [first.id, second.id]
    # The same envelope again is the same signature, with no new event.
    events_before = len(registry.events(limit=1000).items)
    assert registry.add_signature(ref, first.envelope).id == first.id
    assert len(registry.events(limit=1000).items) == events_before

    report = registry.verify(ref, files=folder)
    assert report.ok, report
    lines = [(c.check, c.subject, c.status.value) for c in report.checks]
    assert ("digest", document.digest, "ok") in lines
    assert ("signature", "ci", "ok") in lines
    assert ("signature", "release", "ok") in lines
    assert ("files", str(folder), "ok") in lines
    added = list(registry.events(type=["signature.added"]).items)
    assert [(e.subject, e.payload["signer"]) for e in added] == [(ref, "ci"), (ref, "release")]


def test_verify_reports_changed_and_missing_local_files(signed_setup: tuple[Registry, str, Path]) -> None:
    registry, ref, folder = signed_setup
    (folder / "config.json").write_bytes(b'{"layers": 3}')
    (folder / "tokenizer" / "vocab.txt").unlink()
    (folder / "notes.md").write_text("not declared")
    report = registry.verify(ref, files=folder)
    assert not report.ok
    failed = {(c.check, c.subject) for c in report.checks if c.status.value == "failed"}
    assert {("file", "config.json"), ("file", "tokenizer/vocab.txt"), ("files", str(folder))} <= failed
    warned = [c for c in report.checks if c.status.value == "warning" and c.check == "files"]
    assert warned
    assert "notes.md" in warned[0].message
    # Unsigned, without a policy: a warning, not a failure.
    assert any(c.check == "signature" and c.status.value == "warning" for c in report.checks)


def test_revoking_a_signer_stops_its_signatures_counting(signed_setup: tuple[Registry, str, Path],
                                                         keys: dict[str, KeyPair], tmp_path: Path) -> None:
    registry, ref, _ = signed_setup
    other = register_folder(registry, model_folder(tmp_path / "other", {"w.bin": b"other"}), name="acme/other")
    registry.sign(ref, keys["ed25519"].private)
    registry.sign(other, keys["ed25519"].private)
    revoked = registry.revoke_signer("ci")
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == "tester"
    assert registry.revoke_signer("ci").revoked_at == revoked.revoked_at  # again: nothing changes
    report = registry.verify(ref)
    assert not report.ok
    (line,) = [c for c in report.checks if c.check == "signature"]
    assert line.status.value == "failed"
    assert "revoked" in line.message
    assert registry.signatures(ref)[0].signer_revoked_at == revoked.revoked_at  # kept, marked
    events = registry.events(type=["signer.revoked", "signature.revoked"]).items
    assert [(e.type, e.subject) for e in events] == [
        ("signer.revoked", "signer:ci"), ("signature.revoked", ref), ("signature.revoked", other)]
    [signer] = [s for s in registry.signers() if s.name == "ci"]
    assert signer.revoked_at == revoked.revoked_at


@pytest.mark.parametrize("case", ["unknown key", "revoked signer", "changed payload", "other bytes",
                                  "malformed envelope", "two signatures", "not a statement"])
def test_bad_signatures_are_refused_with_nothing_written(
    signed_setup: tuple[Registry, str, Path], keys: dict[str, KeyPair], case: str
) -> None:
    registry, ref, _ = signed_setup
    registry.add_signer("gone", keys["p384"].public)
    registry.revoke_signer("gone")
    good = envelope_for(registry, ref, keys["ed25519"].private)
    sig = "signatures[0].sig"
    if case == "unknown key":
        envelope, code, field = envelope_for(registry, ref, keys["other"].private), "unknown_signer", sig
    elif case == "revoked signer":
        envelope, code, field = envelope_for(registry, ref, keys["p384"].private), "signer_revoked", sig
    elif case == "changed payload":
        statement = json.loads(base64.b64decode(good["payload"]))
        statement["subject"][0]["digest"]["sha256"] = "0" * 64
        envelope = {**good, "payload": base64.b64encode(orjson.dumps(statement)).decode()}
        code, field = "invalid_signature", sig
    elif case == "other bytes":
        statement = registry_statement(registry.get(ref))
        statement["subject"][0]["digest"]["sha256"] = "ab" * 32
        envelope, code, field = envelope_for(registry, ref, keys["ed25519"].private, statement), "subject_mismatch", \
            "payload"
    elif case == "malformed envelope":
        envelope, code, field = {**good, "payload": "not base64!"}, "invalid_envelope", "payload"
    elif case == "two signatures":
        envelope = {**good, "signatures": good["signatures"] * 2}
        code, field = "invalid_envelope", "signatures"
    else:
        envelope = dsse.sign(b'{"hello": "world"}', signing_key(keys["ed25519"].private)).to_json()
        code, field = "invalid_statement", "payload._type"
    before = database_state(registry)
    with pytest.raises(ValidationError) as info:
        registry.add_signature(ref, envelope)
    assert (info.value.code, info.value.field) == (code, field), info.value
    assert database_state(registry) == before


def test_a_statement_of_another_version_is_refused(signed_setup: tuple[Registry, str, Path],
                                                   keys: dict[str, KeyPair], tmp_path: Path) -> None:
    registry, ref, _ = signed_setup
    other = register_folder(registry, model_folder(tmp_path / "b", {"w.bin": b"b"}), name="acme/b")
    envelope = envelope_for(registry, other, keys["ed25519"].private)
    with pytest.raises(ValidationError) as info:
        registry.add_signature(ref, envelope)
    assert info.value.code == "subject_mismatch"
    assert "not in the statement" in info.value.message


def test_signers_are_checked(registry: Registry, keys: dict[str, KeyPair]) -> None:
    first = registry.add_signer("ci", keys["ed25519"].public)
    assert first.algorithm == "ed25519"
    assert first.fingerprint.startswith("sha256:")
    assert registry.add_signer("ci", keys["ed25519"].public) == first  # the same: unchanged
    assert registry.add_signer("p384", keys["p384"].public).algorithm == "ecdsa-p384"
    with pytest.raises(ConflictError) as taken:
        registry.add_signer("ci", keys["p256"].public)
    assert (taken.value.code, taken.value.field) == ("signer_exists", "name")
    with pytest.raises(ConflictError) as same_key:
        registry.add_signer("ci-again", keys["ed25519"].public)
    assert (same_key.value.code, same_key.value.field) == ("signer_exists", "public_key")
    for bad in (b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", b"ssh-ed25519 AAAA",
                keys["ed25519"].private.read_bytes(), keys["rsa"].public_pem, b""):
        with pytest.raises(ValidationError) as info:
            registry.add_signer("bad", bad)
        assert (info.value.code, info.value.field) == ("invalid_key", "public_key"), bad
    with pytest.raises(ValidationError) as name:
        registry.add_signer("Bad Name", keys["other"].public)
    assert name.value.code == "invalid_name"
    with pytest.raises(NotFoundError) as missing:
        registry.revoke_signer("nobody")
    assert missing.value.code == "signer_not_found"
    assert [s.name for s in registry.signers()] == ["ci", "p384"]


def test_signing_with_an_unusable_key_says_why(signed_setup: tuple[Registry, str, Path], tmp_path: Path,
                                               keys: dict[str, KeyPair]) -> None:
    registry, ref, _ = signed_setup
    for key in (tmp_path / "missing.pem", keys["ed25519"].public, "-----BEGIN PRIVATE KEY-----\nxx\n"
                "-----END PRIVATE KEY-----\n", keys["rsa"].private):
        with pytest.raises(ValidationError) as info:
            registry.sign(ref, key)
        assert info.value.code == "invalid_key", key
    with pytest.raises(ValidationError) as unknown:
        registry.sign(ref, keys["other"].private)
    assert unknown.value.code == "unknown_signer"


def test_a_version_without_files_is_signed_by_its_digest(registry: Registry, keys: dict[str, KeyPair]) -> None:
    registry.add_signer("ci", keys["ed25519"].public)
    prompt = registry.register({"kind": "prompt", "name": "acme/hello", "version": "1.0.0",
                                "spec": {"template": "Hello"}})
    signature = registry.sign(prompt.ref, keys["ed25519"].private)
    statement = json.loads(base64.b64decode(signature.envelope["payload"]))
    assert statement["subject"] == [{"name": prompt.ref, "digest": {"sha256": prompt.digest.removeprefix("sha256:")}}]
    assert registry.verify(prompt.ref).ok
    with pytest.raises(ValidationError) as info:
        registry.sign(prompt.ref, keys["ed25519"].private, format="model-signing")
    assert (info.value.code, info.value.field) == ("invalid_parameter", "format")


def test_deleting_a_version_takes_its_signatures_the_signer_stays(signed_setup: tuple[Registry, str, Path],
                                                                   keys: dict[str, KeyPair]) -> None:
    registry, ref, _ = signed_setup
    registry.sign(ref, keys["ed25519"].private)
    registry.delete(ref)
    assert [s.name for s in registry.signers()] == ["ci", "release"]
    assert "'signatures': []" in repr({"signatures": database_state(registry)["signatures"]})
