"""The error format: stderr text or JSON, exit codes, and --json as a global or per-verb option."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import Run


def test_error_text_goes_to_stderr_with_exit_code_1(cli: Run) -> None:
    result = cli("get", "model:acme/absent")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: asset_not_found: no asset model:acme/absent\n"


@pytest.mark.parametrize("placement", ["global", "verb"])
def test_error_json(cli: Run, placement: str) -> None:
    args = ("--json", "get", "model:acme/absent") if placement == "global" else ("get", "model:acme/absent", "--json")
    result = cli(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert orjson.loads(result.stderr) == {
        "error": {"code": "asset_not_found", "message": "no asset model:acme/absent", "field": None}}


def test_error_json_names_the_field(cli: Run) -> None:
    result = cli("--json", "get", "nope")
    assert orjson.loads(result.stderr)["error"] == {
        "code": "invalid_reference",
        "message": "invalid reference 'nope': expected 'kind:namespace/name[@selector]'",
        "field": "ref",
    }


def test_global_json_applies_to_the_verb(cli: Run) -> None:
    result = cli("--json", "assets")
    assert result.exit_code == 0
    assert orjson.loads(result.stdout) == {"items": [], "next_cursor": None}


def test_usage_errors_are_exit_code_2(cli: Run, invoke: Run) -> None:
    assert cli("get").exit_code == 2
    assert cli("no-such-verb").exit_code == 2
    assert cli("versions", "model:a/b", "--limit", "many").exit_code == 2
    assert cli("alias", "set", "model:a/b", "production").exit_code == 2
    bare = invoke()
    assert bare.exit_code == 2
    assert "Usage: llm-registry" in bare.output


def test_unsupported_location(invoke: Run) -> None:
    result = invoke("--registry", "ftp://example.com/registry", "assets")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_parameter: unsupported registry location")


def test_bad_setting_in_the_environment(invoke: Run, tmp_path: Path) -> None:
    result = invoke("--registry", str(tmp_path), "assets",
                    env={"LLM_REGISTRY_SQLITE_BUSY_TIMEOUT_MS": "soon"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_parameter: setting sqlite_busy_timeout_ms")
