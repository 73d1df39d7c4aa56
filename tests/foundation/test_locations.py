"""Registry locations as people write them: folders, SQLite files (absolute with three slashes,
relative without), PostgreSQL URLs shown as typed; an empty location is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_registry import bootstrap
from llm_registry.errors import StorageError, ValidationError
from llm_registry.registry import Registry
from llm_registry.settings import Settings


@pytest.mark.parametrize("slashes", ["///", "////"])
def test_three_slashes_are_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slashes: str) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    target = tmp_path / "srv" / "reg" / "x.db"
    location = "sqlite:" + slashes + str(target).lstrip("/")
    with Registry.open(location, settings=Settings()) as registry:
        registry.register({"kind": "model", "name": "acme/m", "version": "1.0.0"})
    assert target.is_file()
    assert not (elsewhere / "srv").exists()


def test_sqlite_without_slashes_is_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Registry.open("sqlite:data/reg.db", settings=Settings()) as registry:
        registry.register({"kind": "model", "name": "acme/m", "version": "1.0.0"})
    assert (tmp_path / "data" / "reg.db").is_file()
    assert bootstrap.sqlite_url_path("sqlite:./x.db") == Path("x.db")


@pytest.mark.parametrize("location", ["", "   ", "sqlite:", "sqlite:///", "sqlite://host/x.db", "ftp://x"])
def test_locations_that_name_nothing_are_refused(location: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Registry.open(location, settings=Settings())
    assert (refused.value.code, refused.value.field) == ("invalid_parameter", "url")


def test_an_unreachable_postgresql_server_is_named_as_typed() -> None:
    location = "postgresql://someone:secret@127.0.0.1:9/db"
    with pytest.raises(StorageError) as refused:
        Registry.open(location, settings=Settings())
    assert "postgresql://someone:***@127.0.0.1:9/db" in refused.value.message
    assert "psycopg" not in refused.value.message
    assert "secret" not in refused.value.message
