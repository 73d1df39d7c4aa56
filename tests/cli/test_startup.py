"""What a start of the console script imports: ``--help`` and a lookup on a local registry load
none of the server, the PostgreSQL driver, SQLAlchemy, Alembic, httpx, jsonschema or jinja2.

A guard of the lazy imports, not a timing test: ``benchmarks/cli.py`` measures the time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.settings import Settings
from tests.cli.conftest import ACTOR, MODEL

pytestmark = pytest.mark.slow

# Never needed to look a version up in a local registry, nor to print help.
HEAVY = {"fastapi", "starlette", "uvicorn", "psycopg", "psycopg_pool", "sqlalchemy", "alembic", "mako", "httpx",
         "jsonschema", "jinja2", "pydantic_settings", "redis", "argon2", "jwt"}
# Printing: rich for tables and document views, yaml for a spec shown as YAML.
PRINTING = {"rich", "yaml"}


def imported(*args: str, location: Path | None = None) -> set[str]:
    """The top-level packages a run of the installed ``llm-registry`` imports (``-X importtime``)."""
    script = shutil.which("llm-registry", path=str(Path(sys.executable).parent))
    assert script is not None, "the llm-registry console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}
    env["LLM_REGISTRY_ACTOR"] = ACTOR
    where = ["--registry", str(location)] if location is not None else []
    result = subprocess.run([sys.executable, "-X", "importtime", script, *where, *args], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, result.stderr[-2000:]
    return {line.rpartition("|")[2].strip().split(".")[0] for line in lines}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup")
    with EmbeddedRegistry(str(folder), settings=Settings(), actor=ACTOR) as opened:
        opened.register(MODEL)
    return folder


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["get", "--help"], ["serve", "--help"]])
def test_help_imports_nothing_heavy_and_prints_without_rich(args: list[str]) -> None:
    assert imported(*args) & (HEAVY | PRINTING) == set()


@pytest.mark.parametrize(
    ("args", "printing"),
    [
        (["get", "model:acme/llama-ft@1.0.0"], PRINTING),
        (["--json", "get", "model:acme/llama-ft@^1.0"], set()),
        (["resolve", "model:acme/llama-ft@^1.0"], set()),
        (["versions", "model:acme/llama-ft"], {"rich"}),
    ],
)
def test_a_lookup_in_a_local_registry_imports_nothing_heavy(registry: Path, args: list[str],
                                                            printing: set[str]) -> None:
    modules = imported(*args, location=registry)
    assert modules & HEAVY == set()
    assert modules & PRINTING == printing


def test_a_registration_in_a_registry_at_head_imports_no_alembic_nor_server(registry: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "model.json"
    manifest.write_text('{"kind": "model", "name": "acme/other", "version": "1.0.0", "spec": {}}')
    modules = imported("--json", "register", str(manifest), location=registry)
    assert "sqlalchemy" in modules  # writes go through the SQL store
    assert modules & {"alembic", "mako", "fastapi", "starlette", "uvicorn", "httpx", "psycopg", "jsonschema",
                       "jinja2", "pydantic_settings"} == set()
