"""Settings: every declared setting is documented, and the server's settings round-trip
through a config file and through the environment (how worker processes receive them)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from llm_registry.cli.serve import run_server, settings_environment
from llm_registry.errors import ValidationError
from llm_registry.settings import SETTINGS, Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_declared_and_documented() -> None:
    assert {f.name for f in fields(Settings)} == {s.name for s in SETTINGS}
    text = (DOCS / "settings.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| `(LLM_REGISTRY_[A-Z_]+)` \|", text, flags=re.MULTILINE))
    undocumented = [s.name for s in SETTINGS if rows.get(s.name) != s.env]
    assert not undocumented, f"docs/settings.md has no row for: {', '.join(undocumented)}"
    unknown = sorted(set(rows) - {s.name for s in SETTINGS})
    assert not unknown, f"docs/settings.md documents settings that do not exist: {', '.join(unknown)}"


def test_defaults_in_the_table_match_the_dataclass() -> None:
    defaults = Settings()
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default, setting.name


def test_server_settings_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('host = "0.0.0.0"\nport = 9001\nworkers = 3\nno_auth = true\ncors_origins = "https://a.b"\n'
                      'max_body_bytes = 4096\naccess_log = false\nevents_max_wait = 5.5\n')
    settings = Settings.load({"port": 9002}, config_file=config, environ={"LLM_REGISTRY_WORKERS": "2"})
    assert (settings.host, settings.port, settings.workers, settings.no_auth) == ("0.0.0.0", 9002, 2, True)
    assert (settings.cors_origins, settings.max_body_bytes, settings.access_log) == ("https://a.b", 4096, False)
    assert settings.events_max_wait == 5.5
    config.write_text("prot = 1\n")
    with pytest.raises(ValidationError) as info:
        Settings.load(config_file=config, environ={})
    assert (info.value.code, info.value.field) == ("invalid_parameter", "prot")


def test_settings_reach_worker_processes_through_the_environment() -> None:
    settings = Settings.load({"url": "/srv/registry", "workers": 4, "no_auth": True, "cors_origins": "*",
                              "events_max_wait": 2.5, "access_log": False}, environ={})
    assert Settings.load(environ=settings_environment(settings)) == settings


@pytest.mark.parametrize(("overrides", "field"), [
    ({"url": "http://127.0.0.1:1"}, "registry"), ({"workers": 0}, "workers"), ({"port": 70000}, "port"),
    ({"log_level": "loud"}, "log_level"),
])
def test_serve_refuses_bad_settings_before_starting(tmp_path: Path, overrides: dict[str, object], field: str) -> None:
    settings = Settings.load({"url": str(tmp_path / "r"), **overrides}, environ={})
    with pytest.raises(ValidationError) as info:
        run_server(settings)
    assert (info.value.code, info.value.field) == ("invalid_parameter", field)
