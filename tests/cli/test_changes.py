"""label, history, deprecate, yank, restore, delete and alias through the CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from tests.cli.conftest import ACTOR, DATASET, MODEL, Run, RunJson, with_version

Register = Callable[[Mapping[str, Any]], Any]
REF = "model:acme/llama-ft@1.0.0"


def test_label_changes_and_history(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(MODEL)
    document = cli_json("label", REF, "--description", "Tuned", "--license", "MIT", "--tag", "prod", "--tag", "eu",
                        "--untag", "chat", "--annotate", "owner=bob", "--annotate", "note=a=b", "--unannotate", "team")
    assert document["revision"] == 2
    assert document["labels"] == {"description": "Tuned", "license": "MIT", "tags": ["prod", "eu"],
                                  "annotations": {"owner": "bob", "note": "a=b"}}
    cleared = cli_json("label", REF, "--description", "", "--license", "")
    assert cleared["labels"]["description"] is None
    assert cleared["labels"]["license"] is None
    history = cli_json("history", REF)
    assert history["next_cursor"] is None
    assert [r["revision"] for r in history["items"]] == [1, 2, 3]
    assert history["items"][0]["labels"] == MODEL["labels"]
    assert {r["created_by"] for r in history["items"]} == {ACTOR}
    human = cli("history", REF).stdout.splitlines()
    assert human[0].split() == ["REVISION", "CREATED", "BY", "DESCRIPTION", "LICENSE", "TAGS", "ANNOTATIONS"]
    assert human[2].startswith("2 ")
    assert "owner=bob" in human[2]
    labelled = cli("label", REF, "--tag", "x1")
    assert labelled.stdout.splitlines()[0] == f"labelled {REF} (revision 4)"


def test_label_errors(cli: Run, register: Register) -> None:
    register(MODEL)
    bad_tag = cli("label", REF, "--tag", "Not A Tag", "--json")
    assert bad_tag.exit_code == 1
    error = orjson.loads(bad_tag.stderr)["error"]
    assert error["code"] == "invalid_manifest"
    assert error["field"] == "labels.tags"
    # Malformed options are usage errors: click's message and exit code 2.
    no_equals = cli("label", REF, "--annotate", "owner")
    assert no_equals.exit_code == 2
    assert "expected KEY=VALUE" in no_equals.stderr
    both = cli("label", REF, "--annotate", "k=v", "--unannotate", "k")
    assert both.exit_code == 2


def test_deprecate_yank_restore(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(MODEL)
    register(with_version(MODEL, "1.1.0"))
    deprecated = cli_json("deprecate", REF, "--message", "use 1.1", "--replacement", "model:acme/llama-ft@1.1.0")
    assert (deprecated["status"], deprecated["status_message"], deprecated["replacement"]) == (
        "deprecated", "use 1.1", "model:acme/llama-ft@1.1.0")
    yanked = cli("yank", "model:acme/llama-ft@1.1.0", "--reason", "broken")
    assert yanked.stdout == "yanked model:acme/llama-ft@1.1.0: broken\n"
    assert cli_json("resolve", "model:acme/llama-ft@^1")["version"] == "1.0.0"
    again = cli("yank", "model:acme/llama-ft@1.1.0", "--reason", "broken")
    assert again.exit_code == 1
    assert again.stderr.startswith("error: invalid_status_change: ")
    restored = cli_json("restore", "model:acme/llama-ft@1.1.0")
    assert restored["status"] == "active"
    not_deprecated = cli("restore", "model:acme/llama-ft@1.1.0")
    assert not_deprecated.exit_code == 1
    assert not_deprecated.stderr.startswith("error: invalid_status_change: ")
    human = cli("deprecate", "model:acme/llama-ft@1.1.0", "--message", "old")
    assert human.stdout == "deprecated model:acme/llama-ft@1.1.0: old\n"
    assert cli("restore", "model:acme/llama-ft@1.1.0").stdout == "restored model:acme/llama-ft@1.1.0\n"


def test_delete_refuses_while_pinned_unless_forced(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(DATASET)
    register({**MODEL, "dependencies": [{"ref": "dataset:acme/tickets@^2", "relation": "trained_on"}]})
    refused = cli("delete", "dataset:acme/tickets@2.1.0", "--json")
    assert refused.exit_code == 1
    error = orjson.loads(refused.stderr)["error"]
    assert error["code"] == "has_dependents"
    assert error["details"] == {"dependents": [REF]}
    forced = cli_json("delete", "dataset:acme/tickets@2.1.0", "--force")
    assert forced["version"] == "2.1.0"
    gone = cli("get", "dataset:acme/tickets@2.1.0")
    assert gone.exit_code == 1
    assert gone.stderr.startswith("error: version_not_found: ")
    assert cli("delete", REF).stdout == f"deleted {REF}\n"
    assert cli("delete", "model:acme/llama-ft@^1").stderr == "error: invalid_reference: delete needs an exact version\n"


def test_aliases(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(MODEL)
    register(with_version(MODEL, "1.1.0"))
    moved = cli_json("alias", "set", "model:acme/llama-ft", "production", "1.0.0")
    assert (moved["name"], moved["version"], moved["implicit"], moved["updated_by"]) == (
        "production", "1.0.0", False, ACTOR)
    assert cli_json("resolve", "model:acme/llama-ft@production")["version"] == "1.0.0"
    human = cli("alias", "set", "model:acme/llama-ft", "staging", "1.1.0")
    assert human.stdout == "model:acme/llama-ft@staging → 1.1.0\n"
    listed = cli_json("alias", "ls", "model:acme/llama-ft")
    assert [(a["name"], a["version"], a["implicit"]) for a in listed["items"]] == [
        ("latest", "1.1.0", True), ("production", "1.0.0", False), ("staging", "1.1.0", False)]
    assert listed["next_cursor"] is None
    table = cli("alias", "ls", "model:acme/llama-ft").stdout.splitlines()
    assert table[0].split() == ["ALIAS", "VERSION", "UPDATED", "BY"]
    assert table[1].split() == ["latest", "1.1.0", "(implicit)"]
    removed = cli_json("alias", "rm", "model:acme/llama-ft", "staging")
    assert removed == {"asset": "model:acme/llama-ft", "alias": "staging", "removed": True}
    assert cli("alias", "rm", "model:acme/llama-ft", "production").stdout == "removed model:acme/llama-ft@production\n"
    missing = cli("alias", "rm", "model:acme/llama-ft", "production")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: alias_not_found: ")
    latest = cli("alias", "set", "model:acme/llama-ft", "latest", "1.0.0")
    assert latest.stderr.startswith("error: invalid_alias: ")
    unknown_asset = cli("alias", "ls", "model:acme/nothing", "--json")
    assert orjson.loads(unknown_asset.stderr)["error"]["code"] == "asset_not_found"
