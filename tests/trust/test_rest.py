"""The trust routes over HTTP: problem answers naming the field, 201/200, and who may do what on a
server with accounts (a user signs only what it created; signers need signers:manage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_registry.integrity.trust.signing import sign_version, signing_key
from llm_registry.registry import Registry
from tests.access.rest import running
from tests.api.conftest import problem
from tests.trust.conftest import KeyPair, model, model_folder, register_folder

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
VERSION = "/v1/models/acme/llama-ft/versions/1.0.0"


def test_problem_answers_name_the_field(location: str, keys: dict[str, KeyPair], tmp_path: Path) -> None:
    with running(location) as server:
        c, admin = server.client, server.headers("admin")
        assert c.post("/v1/models", json=model(), headers=admin).status_code == 201
        problem(c.post(f"{VERSION}/signatures", json={"payloadType": "text/plain"}, headers=admin), 422,
                "invalid_envelope", "payloadType")
        problem(c.post(f"{VERSION}/signatures", json={"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                                                       "messageSignature": {}}, headers=admin),
                422, "invalid_envelope", "dsseEnvelope")
        problem(c.post("/v1/signers", json={"name": "ci", "public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                                                         "-----END PUBLIC KEY-----"}, headers=admin),
                422, "invalid_key", "public_key")
        problem(c.post(f"{VERSION}/provenance", json={"_type": "https://in-toto.io/Statement/v1"}, headers=admin),
                422, "invalid_provenance", "predicateType")
        problem(c.get("/v1/signers/nobody", headers=admin), 404, "signer_not_found", "name")
        problem(c.get("/v1/models/acme/llama-ft/versions/9.9.9/signatures", headers=admin), 404,
                "version_not_found")

        pem = keys["ed25519"].public.read_text()
        assert c.post("/v1/signers", json={"name": "ci", "public_key": pem}, headers=admin).status_code == 201
        assert c.post("/v1/signers", json={"name": "ci", "public_key": pem}, headers=admin).status_code == 200
        problem(c.post("/v1/signers", json={"name": "ci", "public_key": keys["p256"].public.read_text()},
                       headers=admin), 409, "signer_exists", "name")
        with Registry.open(location, actor="reader") as reader:
            document = reader.get("model:acme/llama-ft@1.0.0")
        envelope = sign_version(document, signing_key(keys["ed25519"].private)).to_json()
        assert c.post(f"{VERSION}/signatures", json=envelope, headers=admin).status_code == 201
        assert c.post(f"{VERSION}/signatures", json=envelope, headers=admin).status_code == 200
        page = c.get(f"{VERSION}/signatures", headers=admin).json()
        assert [s["signer"] for s in page["items"]] == ["ci"]
        assert page["next_cursor"] is None
        report = c.get(f"{VERSION}/verification", headers=admin).json()
        assert report["ok"] is True
        revoked = c.delete("/v1/signers/ci", headers=admin)
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"]
        assert c.get(f"{VERSION}/verification", headers=admin).json()["ok"] is False


def test_who_may_sign_and_manage_signers(location: str, keys: dict[str, KeyPair], tmp_path: Path) -> None:
    with running(location) as server:
        c = server.client
        pem = keys["ed25519"].public.read_text()
        for who in ("developer", "user", "viewer"):
            problem(c.post("/v1/signers", json={"name": "ci", "public_key": pem}, headers=server.headers(who)),
                    403, "forbidden")
        assert c.post("/v1/signers", json={"name": "ci", "public_key": pem},
                      headers=server.headers("admin")).status_code == 201
        assert c.get("/v1/signers", headers=server.headers("viewer")).status_code == 200
        assert c.post("/v1/models", json=model("acme/admins"), headers=server.headers("admin")).status_code == 201
        assert c.post("/v1/models", json=model("acme/mine"), headers=server.headers("user")).status_code == 201
        with Registry.open(location, actor="reader") as reader:
            theirs, mine = (reader.get(f"model:acme/{n}@1.0.0") for n in ("admins", "mine"))
        key = signing_key(keys["ed25519"].private)
        own = c.post("/v1/models/acme/mine/versions/1.0.0/signatures", json=sign_version(mine, key).to_json(),
                     headers=server.headers("user"))
        assert own.status_code == 201, own.text
        problem(c.post("/v1/models/acme/admins/versions/1.0.0/signatures", json=sign_version(theirs, key).to_json(),
                       headers=server.headers("user")), 403, "forbidden")
        problem(c.post("/v1/models/acme/admins/versions/1.0.0/signatures", json=sign_version(theirs, key).to_json(),
                       headers=server.headers("viewer")), 403, "forbidden")
        with server.remote(server.tokens["developer"]) as remote:
            signature = remote.sign("model:acme/admins@1.0.0", key)
            assert signature.created_by == "developer1"
            assert remote.verify("model:acme/admins@1.0.0").ok


def test_signatures_list_in_pages(location: str, keys: dict[str, KeyPair], tmp_path: Path) -> None:
    with running(location, users=False, no_auth=True) as server, Registry.open(location, actor="tester") as twin:
        ref = register_folder(twin, model_folder(tmp_path / "m"))
        for name, key in (("a", keys["ed25519"]), ("b", keys["p256"]), ("c", keys["p384"])):
            twin.add_signer(name, key.public)
            twin.sign(ref, key.private)
        first = server.client.get(f"{VERSION}/signatures", params={"limit": 2}).json()
        assert [s["signer"] for s in first["items"]] == ["a", "b"]
        assert first["next_cursor"]
        rest = server.client.get(f"{VERSION}/signatures", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert ([s["signer"] for s in rest["items"]], rest["next_cursor"]) == (["c"], None)
        assert server.client.get(f"{VERSION}/provenance").json() == {"items": [], "next_cursor": None}
