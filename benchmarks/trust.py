"""What trust costs: signing and verifying signatures, and the gate that alias moves and pulls ask,
on a registry holding a version of 100 files signed by an Ed25519 and a P-256 signer.

    python benchmarks/trust.py [--postgres URL] [--rounds 200]

Prints JSON, microseconds per operation. ``gate_off`` is what a pull pays where the policy asks
nothing (no read at all); ``gate_enforce`` reads the version's signatures and verifies each one
again; ``alias_move_off`` and ``alias_move_enforce`` are whole alias moves without and with the
gate; ``verify_report`` is ``verify REF`` without local files.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from llm_registry.assets.models import VersionDocument
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.integrity.trust.keys import SigningKey, load_private_key
from llm_registry.integrity.trust.signing import sign_version
from llm_registry.registry import Registry
from llm_registry.settings import Settings

FILES = [{"path": f"shard-{i:03}.safetensors", "digest": f"sha256:{i:064x}", "size": 1 << 30} for i in range(100)]
ASSET = "model:bench/m"


def per_call(function: Callable[[], Any], rounds: int) -> float:
    function()  # warm: caches, prepared statements
    started = time.perf_counter()
    for _ in range(rounds):
        function()
    return round((time.perf_counter() - started) / rounds * 1e6, 1)


def signing_key(private: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> SigningKey:
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return load_private_key(pem)


def open_embedded(location: str, policy: str) -> EmbeddedRegistry:
    opened = Registry.open(location, settings=Settings(trust_policy=policy), actor="bench")
    assert isinstance(opened, EmbeddedRegistry)
    return opened


def gate_figures(registry: EmbeddedRegistry, document: VersionDocument, mode: str, rounds: int) -> dict[str, float]:
    gate = registry.services.trust
    assert gate is not None
    return {
        f"gate_{mode}": per_call(lambda: gate.check(document, operation="pull"), rounds),
        f"alias_move_{mode}": per_call(lambda: registry.set_alias(ASSET, "prod", "1.0.0"), rounds),
    }


def run(location: str, rounds: int) -> dict[str, float]:
    keys = {"ed25519": signing_key(ed25519.Ed25519PrivateKey.generate()),
            "p256": signing_key(ec.generate_private_key(ec.SECP256R1()))}
    with open_embedded(location, "*=off") as registry:
        document = registry.register({"kind": "model", "name": "bench/m", "version": "1.0.0", "spec": {},
                                      "content": {"files": FILES}})
        figures = {f"sign_{name}": per_call(lambda k=k: sign_version(document, k), rounds) for name, k in keys.items()}
        for name, key in keys.items():
            registry.add_signer(name, key.public.pem)
            registry.add_signature(document.ref, sign_version(document, key).to_json())
        figures.update(gate_figures(registry, document, "off", rounds))
    with open_embedded(location, "*=enforce") as registry:
        figures.update(gate_figures(registry, document, "enforce", rounds))
        figures["verify_report"] = per_call(lambda: registry.verify(document.ref), rounds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", help="an empty PostgreSQL database (default: SQLite in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(run(args.postgres or str(Path(folder) / "registry"), args.rounds), indent=2))


if __name__ == "__main__":
    main()
