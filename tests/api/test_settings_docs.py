"""docs/settings.md shows every declared setting as declared, and the CLI options that mirror a
setting say so in their help."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from llm_registry.settings import SETTINGS, Setting, Settings
from tests.cli.conftest import app

DOCS = Path(__file__).resolve().parents[2] / "docs"
TABLE = re.compile(r"^<!-- settings: (\w+) -->\n(.*?)^<!-- end settings -->$", flags=re.MULTILINE | re.DOTALL)


def markdown_table(section: str) -> str:
    """The table of a section of docs/settings.md, as the declarations write it."""
    lines = ["| Setting | Environment variable | Default | Meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        if s.section == section:
            default = s.shown_default if s.shown_default == "(empty)" else f"`{s.shown_default}`"
            lines.append(f"| `{s.name}` | `{s.env}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"


def test_every_setting_is_documented_as_declared() -> None:
    tables = dict(TABLE.findall((DOCS / "settings.md").read_text()))
    sections = list(dict.fromkeys(s.section for s in SETTINGS))
    assert list(tables) == sections, "docs/settings.md needs one '<!-- settings: NAME -->' table per section"
    for section in sections:
        expected = markdown_table(section)
        assert tables[section] == expected, f"docs/settings.md, section {section!r}, should read:\n{expected}"


def test_the_table_is_the_model() -> None:
    assert [s.name for s in SETTINGS] == list(Settings.model_fields)
    defaults = Settings()
    for s in SETTINGS:
        assert getattr(defaults, s.name) == s.default, s.name
        assert s.help, s.name
        assert s.env == f"LLM_REGISTRY_{s.name.upper()}"


def _option_help(path: list[str], option: str) -> str:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    [param] = [p for p in command.params if option in getattr(p, "opts", [])]
    return str(getattr(param, "help", ""))


def _setting(name: str) -> Setting:
    return next(s for s in SETTINGS if s.name == name)


def test_options_that_mirror_a_setting_show_its_help_variable_and_default() -> None:
    mirrored = {
        ((), "--registry"): "url",
        (("serve",), "--host"): "host",
        (("serve",), "--port"): "port",
        (("serve",), "--workers"): "workers",
        (("serve",), "--no-auth"): "no_auth",
    }
    for (path, option), name in mirrored.items():
        setting = _setting(name)
        shown = _option_help(list(path), option)
        assert shown.startswith(setting.help.rstrip(".")), option
        assert f"${setting.env}, else {setting.shown_default}" in shown, option
