"""render and events through the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from tests.cli.conftest import ACTOR, CHAT_PROMPT, MODEL, PROMPT, Run, RunJson, with_version

Register = Callable[[Mapping[str, Any]], Any]


def test_render_text(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(PROMPT)
    # Values are JSON when they parse (n=5 is a number), else text.
    result = cli("render", "prompt:acme/support", "--var", "name=Ada", "--var", "n=5")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Answer Ada in 5 lines.\n"
    rendered = cli_json("render", "prompt:acme/support@1.0.0", "--vars-json", '{"name": "Bo", "topics": ["a", "b"]}',
                        "--var", "n=2")
    assert rendered == {"text": "Answer Bo in 2 lines. #a #b"}
    assert cli_json("render", "prompt:acme/support", "--var", 'name="42"') == {"text": "Answer 42 in 3 lines."}


def test_render_messages(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(CHAT_PROMPT)
    rendered = cli_json("render", "prompt:acme/chat", "--var", "question=Why?")
    assert rendered == {"messages": [{"role": "system", "content": "You are brief."},
                                     {"role": "user", "content": "Why?"}]}
    assert cli("render", "prompt:acme/chat", "--var", "question=Why?").stdout == (
        "system: You are brief.\nuser: Why?\n")


def test_render_errors(cli: Run, register: Register) -> None:
    register(PROMPT)
    register(MODEL)
    wrong_type = cli("render", "prompt:acme/support", "--var", "name=42", "--json")
    assert wrong_type.exit_code == 1
    error = orjson.loads(wrong_type.stderr)["error"]
    assert (error["code"], error["field"]) == ("invalid_variables", "variables.name")
    missing = cli("render", "prompt:acme/support")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: invalid_variables: ")
    not_prompt = cli("render", "model:acme/llama-ft")
    assert not_prompt.stderr.startswith("error: not_a_prompt: ")
    assert cli("render", "prompt:acme/support", "--var", "name").exit_code == 2
    assert cli("render", "prompt:acme/support", "--vars-json", "[1]").exit_code == 2
    assert cli("render", "prompt:acme/support", "--vars-json", "{nope").exit_code == 2


def test_events_list_and_filter(cli: Run, cli_json: RunJson, register: Register) -> None:
    register(MODEL)
    register(with_version(MODEL, "1.1.0"))
    cli_json("alias", "set", "model:acme/llama-ft", "production", "1.0.0")
    cli_json("yank", "model:acme/llama-ft@1.1.0")
    feed = cli_json("events")
    assert [e["type"] for e in feed["items"]] == ["asset.registered", "asset.registered", "alias.moved",
                                                  "asset.yanked"]
    assert feed["next_cursor"] == feed["items"][-1]["cursor"]
    first = feed["items"][0]
    assert set(first) == {"id", "cursor", "type", "subject", "actor", "created_at", "payload"}
    assert (first["subject"], first["actor"]) == ("model:acme/llama-ft@1.0.0", ACTOR)
    types = cli_json("events", "--type", "alias.moved", "--type", "asset.yanked")
    assert [e["type"] for e in types["items"]] == ["alias.moved", "asset.yanked"]
    subject = cli_json("events", "--subject", "model:acme/llama-ft@1.1.0")
    assert [e["type"] for e in subject["items"]] == ["asset.registered", "asset.yanked"]
    assert cli_json("events", "--actor", "somebody-else")["items"] == []
    page = cli_json("events", "--limit", "2")
    assert len(page["items"]) == 2
    rest = cli_json("events", "--after", page["next_cursor"])
    assert [e["cursor"] for e in rest["items"]] == [e["cursor"] for e in feed["items"][2:]]
    human = cli("events", "--limit", "2").stdout.splitlines()
    assert human[0].split() == ["CURSOR", "TIME", "TYPE", "SUBJECT", "ACTOR"]
    assert human[1].split()[3:] == ["asset.registered", "model:acme/llama-ft@1.0.0", ACTOR]
    assert human[-1] == f"more: --after {page['next_cursor']}"
    bad = cli("events", "--after", "not-a-cursor")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: invalid_cursor: ")


def test_events_follow_is_bounded_by_max_wait(cli: Run, register: Register) -> None:
    register(MODEL)
    register(with_version(MODEL, "1.1.0"))
    started = time.monotonic()
    result = cli("events", "--follow", "--max-wait", "0", "--json")
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [e["subject"] for e in lines] == ["model:acme/llama-ft@1.0.0", "model:acme/llama-ft@1.1.0"]
    waited = cli("events", "--follow", "--max-wait", "1.2", "--after", lines[0]["cursor"], "--limit", "1")
    elapsed = time.monotonic() - started
    assert waited.exit_code == 0
    assert waited.stdout.splitlines()[1].split()[3:5] == ["asset.registered", "model:acme/llama-ft@1.1.0"]
    assert 1.1 < elapsed < 10


def test_events_follow_prints_a_header_above_aligned_rows(cli: Run, register: Register) -> None:
    register(MODEL)
    lines = cli("events", "--follow", "--max-wait", "0.2").stdout.splitlines()
    assert lines[0].split() == ["CURSOR", "TIME", "TYPE", "SUBJECT", "ACTOR"]
    assert lines[1].split()[3] == "asset.registered"
    assert lines[0].index("TYPE") == lines[1].index("asset.registered")
