"""The trust verbs through the real CLI: signers, sign (with a Sigstore bundle), verify REF (one
line per check, exit 1 on a failure, --json), signatures, provenance, and verify's two forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import model_signing
import orjson
import pytest
from typer.testing import CliRunner, Result

from llm_registry.cli.main import build_app
from tests.trust.conftest import KeyPair, model, model_folder

app = build_app()
ENV: dict[str, str | None] = {"LLM_REGISTRY_URL": None, "LLM_REGISTRY_TOKEN": None, "LLM_REGISTRY_ACTOR": "tester",
                              "LLM_REGISTRY_TRUST_POLICY": None, "COLUMNS": None}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def run(location: str) -> Any:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> Result:
        return runner.invoke(app, ["--registry", location, *args], input=input, env={**ENV, **(env or {})},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def version(run: Any, tmp_path: Path) -> tuple[str, Path]:
    folder = model_folder(tmp_path / "llama-ft")
    manifest = tmp_path / "model.json"
    manifest.write_text(json.dumps(model()))
    files = [str(p) for p in sorted(folder.rglob("*")) if p.is_file()]
    options = [arg for path in files for arg in ("--file", path)]
    result = run("register", str(manifest), *options, "--files-root", str(folder), "--json")
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)["kind"] + ":acme/llama-ft@1.0.0", folder


def test_signers_sign_and_verify(run: Any, version: tuple[str, Path], keys: dict[str, KeyPair],
                                 tmp_path: Path) -> None:
    ref, folder = version
    added = run("signers", "add", "ci", "--public-key", str(keys["ed25519"].public))
    assert added.exit_code == 0
    assert "trusting ci: ed25519 sha256:" in added.stdout
    from_stdin = run("signers", "add", "release", "--public-key", "-", "--json", input=keys["p256"].public.read_text())
    assert orjson.loads(from_stdin.stdout)["algorithm"] == "ecdsa-p256"
    listed = orjson.loads(run("signers", "ls", "--json").stdout)
    assert [s["name"] for s in listed["items"]] == ["ci", "release"]
    assert "trusted" in run("signers", "ls").stdout

    signed = run("sign", ref, "--key", str(keys["ed25519"].private))
    assert signed.exit_code == 0
    assert f"signed {ref} as ci" in signed.stdout
    bundle = tmp_path / "model.sig"
    released = run("sign", ref, "--key", str(keys["p256"].private), "--format", "model-signing", "--bundle",
                   str(bundle))
    assert released.exit_code == 0, released.output
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=keys["p256"].public).verify(folder, bundle)

    verified = run("verify", ref, "--files", str(folder))
    assert verified.exit_code == 0, verified.output
    lines = verified.stdout.splitlines()
    assert lines[0].startswith("ok      digest sha256:")
    assert any(line.startswith("ok      signature ci: valid registry signature") for line in lines)
    assert any(line.startswith("ok      signature release: valid model-signing signature") for line in lines)
    assert lines[-1] == f"{ref} verified"
    report = orjson.loads(run("verify", ref, "--json").stdout)
    assert report["ok"] is True
    assert {c["check"] for c in report["checks"]} == {"digest", "stored", "signature", "policy"}
    # Registered with its digests only, never pushed: its bytes are kept elsewhere.
    assert [c["status"] for c in report["checks"] if c["check"] == "stored"] == ["warning"]

    (folder / "config.json").write_text("changed")
    changed = run("verify", ref, "--files", str(folder))
    assert changed.exit_code == 1
    assert "failed  file config.json: has other bytes" in changed.stdout

    assert "ci" in run("signatures", "ls", ref).stdout
    assert run("signers", "revoke", "ci").exit_code == 0
    revoked = run("verify", ref)
    assert revoked.exit_code == 1
    assert "failed  signature ci: signer 'ci' was revoked" in revoked.stdout


def test_attaching_signatures_and_provenance_from_files(run: Any, version: tuple[str, Path], keys: dict[str, KeyPair],
                                                        tmp_path: Path) -> None:
    ref, folder = version
    run("signers", "add", "release", "--public-key", str(keys["p256"].public))
    theirs = tmp_path / "theirs.sig"
    model_signing.signing.Config().use_elliptic_key_signer(private_key=keys["p256"].private).sign(folder, theirs)
    attached = run("signatures", "add", ref, str(theirs))
    assert attached.exit_code == 0
    assert "a model-signing signature by release" in attached.stdout
    listed = orjson.loads(run("signatures", "ls", ref, "--json").stdout)
    assert [s["format"] for s in listed["items"]] == ["model-signing"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"payload": "!!", "payloadType": "application/vnd.in-toto+json", "signatures": []}))
    refused = run("signatures", "add", ref, str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: invalid_envelope: ")

    digest = orjson.loads(run("get", ref, "--json").stdout)["digest"]
    statement = tmp_path / "provenance.json"
    statement.write_text(json.dumps({
        "_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "llama-ft", "digest": {"sha256": digest.removeprefix("sha256:")}}],
        "predicate": {"runDetails": {"builder": {"id": "https://ci.example.com"}}}}))
    assert run("provenance", "attach", ref, str(statement)).exit_code == 0
    shown = run("provenance", "ls", ref)
    assert "https://ci.example.com" in shown.stdout
    assert "ok" in shown.stdout


def test_verify_takes_a_ref_or_a_lockfile(run: Any, version: tuple[str, Path], tmp_path: Path) -> None:
    ref, folder = version
    lockfile = tmp_path / "registry.lock"
    assert run("lock", ref, "-o", str(lockfile)).exit_code == 0
    assert run("verify", "--lock", str(lockfile)).exit_code == 0
    both = run("verify", ref, "--lock", str(lockfile))
    neither = run("verify")
    files_alone = run("verify", "--lock", str(lockfile), "--files", str(folder))
    assert (both.exit_code, neither.exit_code, files_alone.exit_code) == (2, 2, 2)
    assert "REF or --lock" in both.stderr


def test_alias_set_prints_the_policys_warnings(run: Any, version: tuple[str, Path]) -> None:
    warned = run("alias", "set", "model:acme/llama-ft", "staging", "1.0.0", env={"LLM_REGISTRY_TRUST_POLICY": "*=warn"})
    assert warned.exit_code == 0
    assert "warning: model:acme/llama-ft@1.0.0 has no signature" in warned.stderr
    denied = run("alias", "set", "model:acme/llama-ft", "production", "1.0.0",
                 env={"LLM_REGISTRY_TRUST_POLICY": "model:acme/*=enforce"})
    assert denied.exit_code == 1
    assert denied.stderr.startswith("error: unsigned: ")
