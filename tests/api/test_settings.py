"""Settings: where values come from, in which precedence, and the one place that refuses bad ones."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from llm_registry.api.rest.workers import WorkerApp
from llm_registry.cli.serve import run_server
from llm_registry.errors import ValidationError
from llm_registry.settings import Settings

SECRET = "k" * 40


def refused(overrides: dict[str, Any] | None = None, **load: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Settings.load(overrides, **({"environ": {}} | load))
    assert info.value.code == "invalid_parameter"
    return info.value


def test_precedence_defaults_file_environment_overrides(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('host = "0.0.0.0"\nport = 9001\nworkers = 3\nno_auth = true\ncors_origins = "https://a.b"\n'
                      'max_body_bytes = 4096\naccess_log = false\nevents_max_wait = 5.5\n')
    environ = {"LLM_REGISTRY_WORKERS": "2", "LLM_REGISTRY_PORT": "9003", "OTHER": "x"}
    settings = Settings.load({"port": 9002, "host": None}, config_file=config, environ=environ)
    assert (settings.host, settings.port, settings.workers, settings.no_auth) == ("0.0.0.0", 9002, 2, True)
    assert (settings.cors_origins, settings.max_body_bytes, settings.access_log) == ("https://a.b", 4096, False)
    assert settings.events_max_wait == 5.5
    assert settings.threads == Settings().threads  # in no source: the default


def test_the_constructor_reads_nothing_and_load_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_REGISTRY_PORT", "9100")
    assert Settings().port == 8000
    assert Settings(threads=3).threads == 3
    assert Settings.load().port == 9100
    assert Settings.load(environ={}) == Settings()


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("ON", True), (" yes ", True), ("1", True), ("false", False), ("Off", False), ("no", False),
    ("0", False), ("", False),
])
def test_booleans_in_the_environment(text: str, expected: bool) -> None:
    settings = Settings.load(environ={"LLM_REGISTRY_ACCESS_LOG": text, "LLM_REGISTRY_NO_AUTH": text})
    assert settings.access_log is settings.no_auth is expected


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("prot = 1\n")
    error = refused(config_file=config)
    assert error.field == "prot"
    assert str(config) in error.message
    assert refused({"prot": None}).field == "prot"
    with pytest.raises(ValidationError) as info:
        Settings(prot=1)  # type: ignore[call-arg]
    assert info.value.field == "prot"


def test_an_unreadable_config_file_is_refused(tmp_path: Path) -> None:
    assert refused(config_file=tmp_path / "missing.toml").field == "config"
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n")
    assert refused(config_file=broken).field == "config"


@pytest.mark.parametrize(("source", "name", "value"), [
    ("environ", "port", "eighty"), ("environ", "request_timeout", "soon"), ("environ", "no_auth", "maybe"),
    ("file", "port", 80.5), ("file", "cors_origins", ["https://a.b"]), ("file", "access_log", "sometimes"),
])
def test_a_value_of_the_wrong_type_names_the_setting_and_its_variable(
    tmp_path: Path, source: str, name: str, value: Any
) -> None:
    if source == "environ":
        error = refused(environ={f"LLM_REGISTRY_{name.upper()}": value})
    else:
        config = tmp_path / "settings.toml"
        config.write_text(f"{name} = {value!r}\n".replace("'", '"'))
        error = refused(config_file=config)
    assert error.field == name
    assert f"LLM_REGISTRY_{name.upper()}" in error.message


@pytest.mark.parametrize(("name", "value"), [
    ("workers", 0), ("threads", 0), ("port", -1), ("port", 65536), ("log_level", "loud"),
    ("rate_limit_backend", "disk"), ("rate_limits", "admin=fast"), ("rate_limits", "admin"),
    ("rate_limits", "=60"), ("rate_limits", "admin=0"), ("rate_limits", "admin=1200;anonymous=60"),
    ("bootstrap_admin", "alice"), ("bootstrap_admin", ":password"), ("bootstrap_admin", "alice:"),
    ("jwt_secret", "too-short"), ("jwt_previous_secrets", f"{SECRET}, too-short"),
])
def test_bad_values_are_refused_when_the_settings_are_built(name: str, value: Any) -> None:
    assert refused({name: value}).field == name
    assert refused(environ={f"LLM_REGISTRY_{name.upper()}": str(value)}).field == name
    with pytest.raises(ValidationError) as info:
        Settings(**{name: value})
    assert info.value.field == name


@pytest.mark.parametrize(("name", "value"), [
    ("port", 0), ("port", 65535), ("workers", 1), ("log_level", "DEBUG"), ("log_level", "trace"),
    ("rate_limit_backend", "redis"), ("rate_limits", ""), ("rate_limits", " admin = 5 , ,anonymous=1"),
    ("bootstrap_admin", "alice:pass:word"), ("jwt_secret", SECRET), ("jwt_previous_secrets", f"{SECRET}, {SECRET}"),
])
def test_good_values_are_kept_as_given(name: str, value: Any) -> None:
    assert getattr(Settings.load({name: value}, environ={}), name) == value


@pytest.mark.parametrize(("name", "value"), [
    ("jwt_secret", "short-but-secret"), ("jwt_previous_secrets", "short-but-secret"),
    ("bootstrap_admin", "short-but-secret"), ("token", 12345),
])
def test_errors_and_repr_never_show_a_secret(name: str, value: Any) -> None:
    assert "short-but-secret" not in refused({name: value}).message
    assert "12345" not in refused({name: value}).message
    settings = Settings(jwt_secret=SECRET, jwt_previous_secrets=SECRET, bootstrap_admin="alice:hunter2-hunter2",
                        token="tok-secret")
    for hidden in (SECRET, "hunter2", "tok-secret"):
        assert hidden not in repr(settings)


def test_settings_are_immutable_and_travel_whole_to_a_worker() -> None:
    settings = Settings.load({"url": "/srv/registry", "workers": 4, "no_auth": True, "jwt_secret": SECRET,
                              "events_max_wait": 2.5, "access_log": False}, environ={})
    with pytest.raises(Exception, match="frozen"):
        settings.port = 1  # type: ignore[misc]
    factory = pickle.loads(pickle.dumps(WorkerApp(settings)))  # as uvicorn hands it to a spawned worker
    assert factory.settings == settings
    assert factory.settings.jwt_secret == SECRET


def test_serve_refuses_another_server_as_its_database() -> None:
    with pytest.raises(ValidationError) as info:
        run_server(Settings.load({"url": "http://127.0.0.1:1"}, environ={}))
    assert (info.value.code, info.value.field) == ("invalid_parameter", "registry")
