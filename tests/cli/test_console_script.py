"""The installed ``llm-registry`` console script, run as real processes."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import ACTOR, MODEL, with_version, write_yaml

pytestmark = pytest.mark.slow


def _script() -> str:
    found = shutil.which("llm-registry", path=str(Path(sys.executable).parent)) or shutil.which("llm-registry")
    if found is None:
        pytest.fail("the llm-registry console script is not installed (pip install -e .)")
    return found


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}
    env["LLM_REGISTRY_ACTOR"] = ACTOR
    return env


def _run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_script(), *args], input=input, capture_output=True, text=True, env=_environment(),
                          timeout=60, check=False)


def test_console_script_round_trip(tmp_path: Path) -> None:
    location = str(tmp_path / "registry")
    registered = _run("--registry", location, "register", "-", "--json", input=write_yaml(MODEL))
    assert registered.returncode == 0, registered.stderr
    document = orjson.loads(registered.stdout)
    fetched = _run("--registry", location, "--json", "get", "model:acme/llama-ft@1.0.0")
    assert fetched.returncode == 0
    assert orjson.loads(fetched.stdout) == document
    missing = _run("--registry", location, "get", "model:acme/absent")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr == "error: asset_not_found: no asset model:acme/absent\n"
    usage = _run("--registry", location, "get")
    assert usage.returncode == 2
    assert "Missing argument 'REF'" in usage.stderr


def test_events_follow_prints_new_events_until_interrupted(tmp_path: Path) -> None:
    location = str(tmp_path / "registry")
    assert _run("--registry", location, "register", "-", input=write_yaml(MODEL)).returncode == 0
    follower = subprocess.Popen(
        [_script(), "--registry", location, "events", "--follow", "--json", "--max-wait", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(),
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert follower.stdout is not None
        for line in follower.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        first = orjson.loads(lines.get(timeout=30))
        assert first["subject"] == "model:acme/llama-ft@1.0.0"
        # A change made by another process shows up in the feed within a poll.
        assert _run("--registry", location, "register", "-", input=write_yaml(with_version(MODEL, "1.1.0"))
                    ).returncode == 0
        second = orjson.loads(lines.get(timeout=30))
        assert (second["type"], second["subject"]) == ("asset.registered", "model:acme/llama-ft@1.1.0")
        assert int(second["cursor"]) > int(first["cursor"])
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=30) == 0
        assert follower.stderr is not None
        assert follower.stderr.read() == ""
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
        reader.join(timeout=5)
        for stream in (follower.stdout, follower.stderr):
            if stream is not None:
                stream.close()


def test_shell_completion_completes_verbs_and_options(tmp_path: Path) -> None:
    env = {**os.environ, "_LLM_REGISTRY_COMPLETE": "complete_bash", "COMP_CWORD": "1"}
    verbs = subprocess.run([_script()], env={**env, "COMP_WORDS": "llm-registry reg"}, capture_output=True,
                           text=True, timeout=60)
    assert verbs.stdout.split() == ["register"]
    options = subprocess.run([_script()], env={**env, "COMP_WORDS": "llm-registry resolve --j", "COMP_CWORD": "2"},
                             capture_output=True, text=True, timeout=60)
    assert options.stdout.split() == ["--json"]
