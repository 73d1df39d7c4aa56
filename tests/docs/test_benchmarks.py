"""The benchmarks run as the README says: ``./scripts/bench NAME`` with the virtual environment's
Python, and the README lists every benchmark."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.markdown import PAGES, ROOT, page_name

BENCH = ROOT / "scripts" / "bench"
NAMES = sorted(path.stem for path in (ROOT / "benchmarks").glob("*.py") if path.stem != "__init__")


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def test_the_readme_lists_every_benchmark_by_the_script() -> None:
    performance = (ROOT / "README.md").read_text(encoding="utf-8").split("## Performance", 1)[1].split("\n## ", 1)[0]
    assert sorted(re.findall(r"`\./scripts/bench ([a-z]\w*)", performance)) == NAMES


def test_no_page_runs_a_benchmark_with_whatever_python_is_first_on_the_path() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"python3? benchmarks/", text), f"{page_name(page)}: run benchmarks with ./scripts/bench"
        for name in re.findall(r"scripts/bench ([a-z]\w*)", text):
            assert name in NAMES, f"{page_name(page)}: no benchmark named {name}"


@pytest.mark.parametrize("name", NAMES)
def test_each_benchmark_parses_its_options(name: str) -> None:
    result = run(sys.executable, f"benchmarks/{name}.py", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {name}.py"), result.stdout


def test_the_script_lists_the_benchmarks_and_refuses_others() -> None:
    listed = run(str(BENCH), "--help")
    assert listed.returncode == 0, listed.stderr
    assert re.findall(r"^  (\w+)$", listed.stdout, flags=re.MULTILINE) == NAMES
    for wrong in ("nope", "__init__", "../tests/conftest"):
        refused = run(str(BENCH), wrong)
        assert refused.returncode == 2, wrong
        assert "no benchmark named" in refused.stderr, wrong
    assert run(str(BENCH)).returncode == 2


def test_the_script_runs_a_benchmark_with_the_environments_python() -> None:
    venv = Path(sys.prefix)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    if not any((venv / f".installed{kind}-{digest}").exists() for kind in ("", "-test")):
        pytest.skip(f"{venv} was not installed by the scripts: scripts/bench would install it")
    result = run(str(BENCH), "embedded", "--help", env={"LLM_REGISTRY_VENV": str(venv)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: embedded.py")
    assert "installing" not in result.stderr
