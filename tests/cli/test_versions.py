"""register, get, resolve, versions and assets through the CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml

from tests.cli.conftest import ACTOR, DATASET, MODEL, Run, RunJson, with_version

Register = Callable[[Mapping[str, Any]], Any]


def test_register_from_file_prints_a_summary(cli: Run, write_manifest: Callable[..., Path]) -> None:
    result = cli("register", str(write_manifest(MODEL)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "registered model:acme/llama-ft@1.0.0"
    assert any(line.split() == ["status", "active"] for line in lines)
    assert any(line.startswith("description") and "Support fine-tune" in line for line in lines)
    assert any(line.startswith("spec") and "architecture: llama" in line for line in lines)
    assert result.stderr == ""


def test_register_json_is_the_version_document(cli_json: RunJson, write_manifest: Callable[..., Path]) -> None:
    document = cli_json("register", str(write_manifest(MODEL, as_json=True)))
    assert document["kind"] == "model"
    assert document["name"] == "acme/llama-ft"
    assert document["version"] == "1.0.0"
    assert document["spec"] == MODEL["spec"]
    assert document["labels"] == MODEL["labels"]
    assert document["status"] == "active"
    assert document["created_by"] == ACTOR
    assert document["revision"] == 1
    assert document["digest"].startswith("sha256:")
    assert {"id", "created_at", "updated_at", "pins", "aliases", "dependencies"} <= document.keys()


def test_register_is_idempotent(cli_json: RunJson, write_manifest: Callable[..., Path]) -> None:
    path = str(write_manifest(MODEL))
    first = cli_json("register", path)
    again = cli_json("register", path)
    assert again == first
    assert len(cli_json("events")["items"]) == 1


def test_register_from_stdin(cli: Run, cli_json: RunJson) -> None:
    document = cli_json("register", "-", input=yaml.safe_dump(MODEL))
    assert document["version"] == "1.0.0"
    json_document = cli_json("register", "-", input=orjson.dumps(with_version(MODEL, "1.1.0")).decode())
    assert json_document["version"] == "1.1.0"


def test_register_with_files_records_their_digests(cli_json: RunJson, write_manifest: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00\x01" * 5000)
    config = tmp_path / "config.json"
    config.write_text('{"hidden_size": 4096}')
    document = cli_json("register", str(write_manifest(MODEL)), "--file", str(weights), "--file", str(config))
    files = {entry["path"]: entry for entry in document["content"]["files"]}
    assert files == {
        "model.safetensors": {"path": "model.safetensors", "size": 10000,
                              "digest": "sha256:" + hashlib.sha256(b"\x00\x01" * 5000).hexdigest()},
        "config.json": {"path": "config.json", "size": len(config.read_bytes()),
                        "digest": "sha256:" + hashlib.sha256(config.read_bytes()).hexdigest()},
    }
    # The version digest of multi-file content is the digest of the file manifest, not of one file.
    assert document["digest"] not in {entry["digest"] for entry in files.values()}


def test_register_files_root_keeps_folders(cli: Run, cli_json: RunJson, write_manifest: Callable[..., Path],
                                           tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "part.bin").write_bytes(folder.encode())
    manifest = str(write_manifest(MODEL))
    clash = cli("register", manifest, "--file", str(tmp_path / "a/part.bin"), "--file", str(tmp_path / "b/part.bin"))
    assert clash.exit_code == 1
    assert clash.stderr.startswith("error: invalid_parameter: several files have the path 'part.bin'")
    document = cli_json("register", manifest, "--files-root", str(tmp_path),
                        "--file", str(tmp_path / "a/part.bin"), "--file", str(tmp_path / "b/part.bin"))
    assert sorted(entry["path"] for entry in document["content"]["files"]) == ["a/part.bin", "b/part.bin"]
    outside = cli("register", manifest, "--files-root", str(tmp_path / "a"), "--file", str(tmp_path / "b/part.bin"))
    assert outside.exit_code == 1
    assert "is not inside the files root" in outside.stderr


def test_register_missing_file_is_an_error(cli: Run, write_manifest: Callable[..., Path], tmp_path: Path) -> None:
    result = cli("register", str(write_manifest(MODEL)), "--file", str(tmp_path / "absent.bin"), "--json")
    assert result.exit_code == 1
    assert orjson.loads(result.stderr)["error"]["code"] == "invalid_parameter"
    assert orjson.loads(result.stderr)["error"]["field"] == "file"


def test_register_malformed_yaml(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: model\nname: [acme/x\nversion: 1.0.0\n")
    result = cli("register", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: invalid_manifest: {path}: malformed YAML at line ")
    as_json = cli("register", "-", "--json", input="kind: model\n  bad: [\n")
    assert as_json.exit_code == 1
    error = orjson.loads(as_json.stderr)["error"]
    assert error["code"] == "invalid_manifest"
    assert error["message"].startswith("<stdin>: malformed YAML")


def test_register_rejects_bad_documents(cli: Run, write_manifest: Callable[..., Path], tmp_path: Path) -> None:
    unknown = cli("register", str(write_manifest({**MODEL, "colour": "red"})), "--json")
    assert unknown.exit_code == 1
    assert orjson.loads(unknown.stderr)["error"] == {"code": "unknown_field", "message": "unknown field 'colour'",
                                                      "field": "colour"}
    not_a_mapping = cli("register", "-", input="- just\n- a list\n")
    assert not_a_mapping.exit_code == 1
    assert not_a_mapping.stderr.startswith("error: invalid_manifest: <stdin>: a version document must be a mapping")
    missing = cli("register", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: invalid_manifest: cannot read ")


def test_register_conflict(cli: Run, register: Register, write_manifest: Callable[..., Path]) -> None:
    register(MODEL)
    changed = {**MODEL, "spec": {**MODEL["spec"], "context_length": 4096}}
    result = cli("register", str(write_manifest(changed)))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: version_conflict: model:acme/llama-ft@1.0.0 is already registered")


def test_get_and_as_of(cli: Run, cli_json: RunJson, register: Register) -> None:
    registered = register(MODEL)
    assert cli_json("get", "model:acme/llama-ft@1.0.0") == registered
    cli_json("label", "model:acme/llama-ft@1.0.0", "--description", "Changed")
    assert cli_json("get", "model:acme/llama-ft")["labels"]["description"] == "Changed"
    then = cli_json("get", "model:acme/llama-ft@1.0.0", "--as-of", registered["created_at"])
    assert then["labels"]["description"] == "Support fine-tune"
    human = cli("get", "model:acme/llama-ft@1.0.0")
    assert human.exit_code == 0
    assert human.stdout.splitlines()[0] == "model:acme/llama-ft@1.0.0"
    assert any(line.split()[:2] == ["description", "Changed"] for line in human.stdout.splitlines())
    before = cli("get", "model:acme/llama-ft@1.0.0", "--as-of", "2000-01-01T00:00:00Z")
    assert before.exit_code == 1
    assert before.stderr.startswith("error: version_not_found: ")
    bad_time = cli("get", "model:acme/llama-ft", "--as-of", "yesterday")
    assert bad_time.stderr.startswith("error: invalid_parameter: invalid time 'yesterday'")


def test_get_prints_user_text_literally(cli: Run, register: Register) -> None:
    register({**MODEL, "labels": {"description": "[bold red]not markup[/] :smile:"}})
    result = cli("get", "model:acme/llama-ft")
    assert "[bold red]not markup[/] :smile:" in result.stdout


def test_resolve(cli: Run, cli_json: RunJson, register: Register) -> None:
    for version in ("1.0.0", "1.2.0", "2.0.0-rc.1"):
        register(with_version(MODEL, version))
    assert cli_json("resolve", "model:acme/llama-ft@^1")["version"] == "1.2.0"
    assert cli_json("resolve", "model:acme/llama-ft")["version"] == "1.2.0"
    chosen = cli_json("resolve", "model:acme/llama-ft@~1.0")
    result = cli("resolve", "model:acme/llama-ft@~1.0")
    assert result.stdout == f"model:acme/llama-ft@1.0.0  {chosen['digest']}  active\n"
    none = cli("resolve", "model:acme/llama-ft@^3")
    assert none.exit_code == 1
    assert none.stderr.startswith("error: version_not_found: ")


def test_versions_pages(cli: Run, cli_json: RunJson, register: Register) -> None:
    for version in ("1.0.0", "1.10.0", "1.2.0", "1.0.0-rc.1"):
        register(with_version(MODEL, version))
    everything = cli_json("versions", "model:acme/llama-ft")
    assert [v["version"] for v in everything["items"]] == ["1.10.0", "1.2.0", "1.0.0", "1.0.0-rc.1"]
    assert everything["next_cursor"] is None
    assert set(everything["items"][0]) == {"version", "digest", "status", "created_at", "created_by", "aliases"}
    first = cli_json("versions", "model:acme/llama-ft", "--limit", "3")
    assert [v["version"] for v in first["items"]] == ["1.10.0", "1.2.0", "1.0.0"]
    rest = cli_json("versions", "model:acme/llama-ft", "--limit", "3", "--cursor", first["next_cursor"])
    assert [v["version"] for v in rest["items"]] == ["1.0.0-rc.1"]
    assert rest["next_cursor"] is None
    human = cli("versions", "model:acme/llama-ft", "--limit", "3")
    lines = human.stdout.splitlines()
    assert lines[0].split() == ["VERSION", "STATUS", "ALIASES", "CREATED", "BY", "DIGEST"]
    assert [line.split()[0] for line in lines[1:4]] == ["1.10.0", "1.2.0", "1.0.0"]
    assert lines[4] == f"more: --cursor {first['next_cursor']}"
    with_selector = cli("versions", "model:acme/llama-ft@1.0.0")
    assert with_selector.stderr.startswith("error: invalid_reference: expected an asset reference without selector")
    bad_limit = cli("versions", "model:acme/llama-ft", "--limit", "0")
    assert bad_limit.stderr == "error: invalid_parameter: limit must be between 1 and 1000\n"


def test_assets_filters(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(MODEL)
    register(DATASET)
    register({**DATASET, "name": "other/tickets"})
    listed = cli_json("assets")
    assert [(a["kind"], a["name"]) for a in listed["items"]] == [
        ("dataset", "acme/tickets"), ("dataset", "other/tickets"), ("model", "acme/llama-ft")]
    assert listed["next_cursor"] is None
    assert [a["name"] for a in cli_json("assets", "--kind", "dataset", "--namespace", "acme")["items"]] == [
        "acme/tickets"]
    assert [a["name"] for a in cli_json("assets", "--kind", "model")["items"]] == ["acme/llama-ft"]
    page = cli_json("assets", "--limit", "2")
    assert len(page["items"]) == 2
    assert [a["name"] for a in cli_json("assets", "--cursor", page["next_cursor"])["items"]] == ["acme/llama-ft"]
    human = cli("assets", "--kind", "model").stdout.splitlines()
    assert human[0].split() == ["ASSET", "LATEST", "VERSIONS", "ALIASES", "CREATED"]
    assert human[1].split()[:3] == ["model:acme/llama-ft", "1.0.0", "1"]
    bad_kind = cli("assets", "--kind", "robot")
    assert bad_kind.exit_code == 1
    assert bad_kind.stderr.startswith("error: invalid_kind: ")


def test_an_unquoted_number_in_yaml_gets_a_hint_to_quote_it(cli: Run, tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("kind: model\nname: acme/x\nversion: 1.0\n")
    result = cli("register", str(manifest))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_version: version: Input should be a valid string")
    assert 'quote it, as in version: "1.0"' in result.stderr


def test_registering_an_identical_document_again_says_unchanged(cli: Run, write_manifest: Callable[..., Path]
                                                                ) -> None:
    manifest = write_manifest(MODEL)
    assert cli("register", str(manifest)).stdout.startswith("registered model:acme/llama-ft@1.0.0")
    assert cli("register", str(manifest)).stdout.startswith("unchanged model:acme/llama-ft@1.0.0")


def test_resolve_of_a_deprecated_version_says_why_and_what_instead(cli: Run, write_manifest: Callable[..., Path]
                                                                   ) -> None:
    assert cli("register", str(write_manifest(MODEL))).exit_code == 0
    assert cli("deprecate", "model:acme/llama-ft@1.0.0", "--message", "use 2.x",
               "--replacement", "model:acme/llama-ft@^2").exit_code == 0
    lines = cli("resolve", "model:acme/llama-ft@1.0.0").stdout.splitlines()
    assert lines[1] == "deprecated: use 2.x; use model:acme/llama-ft@^2"
