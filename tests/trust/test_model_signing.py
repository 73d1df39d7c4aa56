"""Interoperability with OpenSSF model signing (the real ``model-signing`` package, private-key
mode, ECDSA P-256): a folder they sign is attached to our version and verified by us, and our
signature of a version's folder is verified by their verifier, Python API and CLI alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import model_signing
import pytest

from llm_registry.errors import ValidationError
from llm_registry.integrity.trust.dsse import read_envelope
from llm_registry.integrity.trust.keys import load_public_key
from llm_registry.registry import Registry
from tests.trust.conftest import KeyPair, model_folder, register_folder

# Their CLI in this interpreter; it exits non-zero when a verification fails.
CLI = [sys.executable, "-m", "model_signing"]


def their_signature(folder: Path, key: Path, signature: Path) -> Path:
    model_signing.signing.Config().use_elliptic_key_signer(private_key=key).sign(folder, signature)
    return signature


def their_verify(folder: Path, public_key: Path, signature: Path) -> None:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(folder, signature)


def test_a_folder_signed_by_model_signing_is_verified_by_us(registry: Registry, keys: dict[str, KeyPair],
                                                            tmp_path: Path) -> None:
    folder = model_folder(tmp_path / "llama-ft")
    # Their CLI, as a user runs it (the signature written outside the folder it signs).
    signed = subprocess.run([*CLI, "sign", "key", str(folder), "--private_key", str(keys["p256"].private),
                             "--signature", str(tmp_path / "model.sig")], capture_output=True, text=True, check=False)
    assert signed.returncode == 0, signed.stderr
    bundle = json.loads((tmp_path / "model.sig").read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"

    ref = register_folder(registry, folder)
    registry.add_signer("release", keys["p256"].public)
    signature = registry.add_signature(ref, tmp_path / "model.sig")
    assert (signature.signer, signature.format) == ("release", "model-signing")
    assert signature.predicate_type == "https://model_signing/signature/v1.0"
    report = registry.verify(ref, files=folder)
    assert report.ok, report
    assert [c.status.value for c in report.checks if c.check == "signature"] == ["ok"]


def test_their_signature_of_other_bytes_is_refused(registry: Registry, keys: dict[str, KeyPair],
                                                   tmp_path: Path) -> None:
    folder = model_folder(tmp_path / "llama-ft")
    ref = register_folder(registry, folder)
    registry.add_signer("release", keys["p256"].public)
    (folder / "model.safetensors").write_bytes(b"other weights")
    signature = their_signature(folder, keys["p256"].private, tmp_path / "model.sig")
    with pytest.raises(ValidationError) as info:
        registry.add_signature(ref, signature)
    assert (info.value.code, info.value.field) == ("subject_mismatch", "dsseEnvelope.payload")
    assert "model.safetensors" in info.value.message
    # Signed by a key nobody registered: unknown, named by the bundle's key hint.
    stranger = model_folder(tmp_path / "stranger")
    ref2 = register_folder(registry, stranger, name="acme/stranger")
    unknown = their_signature(stranger, keys["p384"].private, tmp_path / "stranger.sig")
    with pytest.raises(ValidationError) as unknown_info:
        registry.add_signature(ref2, unknown)
    assert unknown_info.value.code == "unknown_signer"
    assert load_public_key(keys["p384"].public_pem).fingerprint in unknown_info.value.message


def test_our_signature_is_verified_by_model_signing(registry: Registry, keys: dict[str, KeyPair],
                                                    tmp_path: Path) -> None:
    folder = model_folder(tmp_path / "llama-ft")
    ref = register_folder(registry, folder)
    registry.add_signer("release", keys["p256"].public)
    signature = registry.sign(ref, keys["p256"].private, format="model-signing")
    bundle = read_envelope(signature.envelope).to_bundle(load_public_key(keys["p256"].public_pem))
    sig_file = tmp_path / "ours.sig"
    sig_file.write_text(json.dumps(bundle))

    their_verify(folder, keys["p256"].public, sig_file)  # raises on any mismatch
    verified = subprocess.run([*CLI, "verify", "key", str(folder), "--public_key", str(keys["p256"].public),
                               "--signature", str(sig_file)], capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    assert "Verification succeeded" in verified.stdout

    (folder / "config.json").write_bytes(b'{"layers": 99}')  # the folder changes: their verifier says so
    with pytest.raises(ValueError, match=r"config\.json"):
        their_verify(folder, keys["p256"].public, sig_file)
    other_key = tmp_path / "other.pub"
    other_key.write_bytes(keys["p384"].public_pem)
    with pytest.raises(ValueError, match="Key mismatch"):
        their_verify(folder, other_key, sig_file)
