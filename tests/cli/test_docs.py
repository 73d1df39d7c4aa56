"""docs/cli.md describes every command of the CLI and every option of each."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from tests.cli.conftest import app, is_group, long_options, walk_commands

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _sections(text: str) -> dict[str, str]:
    """Heading ``### `llm-registry X` `` → the text up to the next heading."""
    sections: dict[str, str] = {}
    parts = re.split(r"^(#{2,3} .*)$", text, flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        found = re.fullmatch(r"### `llm-registry ([a-z -]+)`", heading.strip())
        if found:
            sections[found.group(1)] = body
    return sections


def test_every_command_has_a_section() -> None:
    sections = _sections(DOCS.read_text())
    verbs = [path for path, command in walk_commands() if not is_group(command)]
    missing = [path for path in verbs if path not in sections]
    assert not missing, f"docs/cli.md has no '### `llm-registry …`' section for: {', '.join(missing)}"
    unknown = sorted(set(sections) - set(verbs))
    assert not unknown, f"docs/cli.md documents commands that do not exist: {', '.join(unknown)}"


def test_every_group_is_mentioned() -> None:
    text = DOCS.read_text()
    for path, command in walk_commands():
        if is_group(command):
            assert f"llm-registry {path} " in text, f"docs/cli.md never mentions the group {path!r}"


def test_every_option_is_described_in_its_section() -> None:
    sections = _sections(DOCS.read_text())
    undocumented = [
        f"{path} {option}"
        for path, command in walk_commands()
        if path in sections
        for option in long_options(command)
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", sections[path])
    ]
    assert not undocumented, f"options missing from their section of docs/cli.md: {', '.join(undocumented)}"


def test_global_options_are_described() -> None:
    text = DOCS.read_text()
    global_section = text.split("## Global options", 1)[1].split("\n## ", 1)[0]
    for option in long_options(typer.main.get_command(app)):
        assert f"`{option}" in global_section, f"global option {option} is not in docs/cli.md"
