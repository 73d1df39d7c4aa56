"""Provenance on every variant: an SLSA statement attached to a version, checked against its
bytes (refused when about other bytes) and its pinned dependencies (each missing or mismatched
material reported); kept apart from the document's own, immutable ``provenance``."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from llm_registry.domain.digests import canonical_json
from llm_registry.errors import ValidationError
from llm_registry.integrity.trust import dsse
from llm_registry.integrity.trust.signing import signing_key
from llm_registry.registry import Registry
from tests.trust.conftest import KeyPair, database_state, model, model_folder, register_folder

SLSA_V1 = "https://slsa.dev/provenance/v1"


def slsa(subjects: list[dict[str, Any]], dependencies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": SLSA_V1,
        "predicate": {
            "buildDefinition": {"buildType": "https://example.com/train/v1", "externalParameters": {"epochs": 3},
                                "resolvedDependencies": dependencies},
            "runDetails": {"builder": {"id": "https://ci.example.com/trainer"}, "metadata": {"invocationId": "42"}},
        },
    }


@pytest.fixture
def lineage(registry: Registry, tmp_path: Path) -> tuple[Registry, str, dict[str, str]]:
    """A fine-tune (of a folder) pinning a base model and a dataset: (registry, its ref, digests)."""
    base = registry.register(model("meta/llama", "3.1.0", content={"digest": "sha256:" + "1" * 64}))
    data = registry.register({"kind": "dataset", "name": "acme/tickets", "version": "2.1.0", "spec": {},
                              "content": {"digest": "sha256:" + "2" * 64}})
    ref = register_folder(registry, model_folder(tmp_path / "ft"), provenance={"builder": "given at registration"},
                          dependencies=[{"ref": "model:meta/llama@^3", "relation": "derived_from"},
                                        {"ref": "dataset:acme/tickets@~2.1", "relation": "trained_on"}])
    return registry, ref, {"base": base.digest, "data": data.digest, "version": registry.get(ref).digest}


def hexd(digest: str) -> str:
    return digest.removeprefix("sha256:")


def test_provenance_with_every_pin_among_its_materials(lineage: tuple[Registry, str, dict[str, str]]) -> None:
    registry, ref, digests = lineage
    statement = slsa([{"name": "llama-ft", "digest": {"sha256": hexd(digests["version"])}}],
                     [{"uri": "hf://meta/llama", "digest": {"sha256": hexd(digests["base"])}},
                      {"uri": "s3://data/tickets", "digest": {"sha256": hexd(digests["data"])}}])
    record = registry.attach_provenance(ref, statement)
    assert record.check.ok
    assert record.builder == "https://ci.example.com/trainer"
    assert [m.status for m in record.check.materials] == ["ok", "ok"]
    assert registry.attach_provenance(ref, statement).id == record.id  # idempotent
    assert [p.id for p in registry.provenance(ref)] == [record.id]
    # The document's own provenance is as registered.
    assert registry.get(ref).provenance == {"builder": "given at registration"}
    assert registry.verify(ref).ok
    (event,) = registry.events(type=["provenance.attached"]).items
    assert (event.subject, event.payload["ok"]) == (ref, True)


def test_missing_and_mismatched_materials_are_each_reported(lineage: tuple[Registry, str, dict[str, str]],
                                                            tmp_path: Path) -> None:
    registry, ref, _digests = lineage
    document = registry.get(ref)
    assert document.content is not None
    assert document.content.files is not None
    by_files = [{"name": f.path, "digest": {"sha256": hexd(f.digest)}} for f in document.content.files]
    statement = slsa(by_files, [{"uri": "hf://meta/llama", "digest": {"sha256": "9" * 64}}])
    record = registry.attach_provenance(ref, statement)
    assert record.check.subjects_ok
    assert not record.check.ok
    statuses = {m.ref: m.status for m in record.check.materials}
    assert statuses == {"model:meta/llama@3.1.0": "mismatch", "dataset:acme/tickets@2.1.0": "missing"}
    report = registry.verify(ref)
    (line,) = [c for c in report.checks if c.check == "provenance"]
    assert line.status.value == "failed"
    assert "mismatch" in line.message
    assert "missing" in line.message
    assert not report.ok


@pytest.mark.parametrize("case", ["other bytes", "not a statement", "no subject", "a signature statement"])
def test_bad_provenance_is_refused_with_nothing_written(lineage: tuple[Registry, str, dict[str, str]],
                                                        case: str) -> None:
    registry, ref, _ = lineage
    statement: dict[str, Any]
    if case == "other bytes":
        statement, code, field = slsa([{"name": "x", "digest": {"sha256": "f" * 64}}], []), "subject_mismatch", \
            "subject"
    elif case == "not a statement":
        statement, code, field = {"_type": "https://example.com/thing", "subject": []}, "invalid_provenance", "_type"
    elif case == "no subject":
        statement, code, field = {**slsa([], []), "subject": []}, "invalid_provenance", "subject"
    else:
        statement = {**slsa([{"name": "x", "digest": {"sha256": "f" * 64}}], []),
                     "predicateType": "https://model_signing/signature/v1.0"}
        code, field = "invalid_provenance", "predicateType"
    before = database_state(registry)
    with pytest.raises(ValidationError) as info:
        registry.attach_provenance(ref, statement)
    assert (info.value.code, info.value.field) == (code, field)
    assert database_state(registry) == before


def test_signed_provenance_names_its_trusted_signer(lineage: tuple[Registry, str, dict[str, str]],
                                                    keys: dict[str, KeyPair]) -> None:
    registry, ref, digests = lineage
    registry.add_signer("builder", keys["p256"].public)
    statement = slsa([{"name": "llama-ft", "digest": {"sha256": hexd(digests["version"])}}], [])
    envelope = dsse.sign(canonical_json(statement), signing_key(keys["p256"].private)).to_json()
    record = registry.attach_provenance(ref, envelope)
    assert record.signer == "builder"
    assert record.envelope == envelope
    assert record.statement == statement
    changed = {**envelope, "payload": base64.b64encode(canonical_json({**statement, "predicate": {}})).decode()}
    with pytest.raises(ValidationError) as info:
        registry.attach_provenance(ref, changed)
    assert (info.value.code, info.value.field) == ("invalid_signature", "signatures[0].sig")
    stranger = dsse.sign(canonical_json({**statement, "predicate": {"by": "someone"}}),
                         signing_key(keys["other"].private)).to_json()
    assert registry.attach_provenance(ref, stranger).signer is None  # by a key no signer has
