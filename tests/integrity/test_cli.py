"""push, pull and gc through the real CLI, on a registry folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import yaml
from typer.testing import CliRunner, Result

from tests.cli.conftest import ISOLATED_ENV, app

MODEL = {"kind": "model", "name": "acme/tiny", "version": "1.0.0", "spec": {"architecture": "llama"}}


def run(registry: Path | str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--registry", str(registry), *args], env=dict(ISOLATED_ENV),
                              catch_exceptions=False)


def as_json(registry: Path, *args: str) -> Any:
    result = run(registry, *args, "--json")
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def test_push_pull_and_gc(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    source = tmp_path / "src"
    (source / "weights").mkdir(parents=True)
    (source / "weights" / "a.bin").write_bytes(os.urandom(10_000))
    (source / "config.json").write_text("{}")
    manifest = tmp_path / "model.yaml"
    manifest.write_text(yaml.safe_dump(MODEL))

    pushed = as_json(registry, "push", str(manifest), str(source), "--threads", "2")
    assert (pushed["ref"], pushed["created"], pushed["files"], pushed["uploaded"]) == ("model:acme/tiny@1.0.0", True,
                                                                                      2, 2)
    again = run(registry, "push", "model:acme/tiny@1.0.0", str(source))
    assert again.exit_code == 0, again.output
    assert "pushed model:acme/tiny@1.0.0" in again.stdout
    assert "0 sent" in again.stdout

    out = tmp_path / "out"
    pulled = run(registry, "pull", "model:acme/tiny", "-o", str(out))
    assert pulled.exit_code == 0, pulled.output
    assert "pulled model:acme/tiny@1.0.0" in pulled.stdout
    assert (out / "weights" / "a.bin").read_bytes() == (source / "weights" / "a.bin").read_bytes()
    assert as_json(registry, "pull", "model:acme/tiny", "--output", str(out))["skipped"] == 2

    (source / "config.json").write_text('{"changed": true}')
    refused = run(registry, "push", "model:acme/tiny@1.0.0", str(source), "--json")
    assert refused.exit_code == 1
    assert orjson.loads(refused.stderr)["error"]["code"] == "version_conflict"

    other = tmp_path / "model-2.yaml"
    other.write_text(yaml.safe_dump({**MODEL, "version": "2.0.0"}))
    as_json(registry, "push", str(other), str(source))  # config.json changed: one new blob
    assert run(registry, "delete", "model:acme/tiny@2.0.0").exit_code == 0
    assert as_json(registry, "gc")["removed"] == []  # within the default grace of a day
    dry = as_json(registry, "gc", "--dry-run", "--grace", "0")
    assert (dry["dry_run"], len(dry["removed"])) == (True, 1)
    report = as_json(registry, "gc", "--grace", "0")
    assert (len(report["removed"]), report["referenced"]) == (1, 2)
    assert as_json(registry, "pull", "model:acme/tiny@1.0.0", "-o", str(tmp_path / "again"))["downloaded"] == 2
    human = run(registry, "gc", "--grace", "0")
    assert human.exit_code == 0, human.output
    assert "removed 0 blob(s)" in human.stdout


def test_gc_says_the_blobs_within_the_grace_were_not_looked_up(tmp_path: Path) -> None:
    registry, source = tmp_path / "registry", tmp_path / "src"
    source.mkdir()
    (source / "config.json").write_text("{}")
    manifest = tmp_path / "model.yaml"
    manifest.write_text(yaml.safe_dump(MODEL))
    as_json(registry, "push", str(manifest), str(source))

    young = run(registry, "gc", "--dry-run")
    # The blob is held by a version, but within the grace nobody asked: it is not "0 referenced".
    assert young.stdout.strip() == ("would remove 0 blob(s) (0 B) of 1; would keep 1 stored within the grace of "
                                    "86400s and 0 older one(s) that versions hold; 0 idle upload(s) and 0 "
                                    "leftover(s) would go")
    old = run(registry, "gc", "--grace", "0")
    assert old.stdout.strip() == ("removed 0 blob(s) (0 B) of 1; kept 0 stored within the grace of 0s and 1 older "
                                  "one(s) that versions hold; 0 idle upload(s) and 0 leftover(s) removed")


def test_gc_needs_the_database_not_a_server(tmp_path: Path) -> None:
    result = run("http://127.0.0.1:9", "gc")
    assert result.exit_code == 1
    assert "gc runs on the registry's database" in result.stderr
