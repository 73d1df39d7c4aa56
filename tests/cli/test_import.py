"""``llm-registry import FILE.jsonl|DIR``: many documents, a transaction per batch."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml

from tests.cli.conftest import DATASET, MODEL, RunJson, with_version
from tests.cli.conftest import Run as CliRun


def _jsonl(path: Path, documents: list[dict[str, object]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(d) for d in documents) + b"\n\n")
    return path


def _derived(version: str) -> dict[str, object]:
    return with_version(MODEL, version, dependencies=[{"ref": "dataset:acme/tickets@^2", "relation": "trained_on"}])


def test_import_a_jsonl_file_in_batches(cli: CliRun, cli_json: RunJson, tmp_path: Path) -> None:
    # The model depends on the dataset registered before it in the same file.
    source = _jsonl(tmp_path / "versions.jsonl", [DATASET, _derived("1.0.0"), _derived("1.1.0")])
    result = cli("import", str(source), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "3 document(s)" in result.stdout
    assert "3 registered, 0 unchanged, 0 failed" in result.stdout
    assert cli_json("get", "model:acme/llama-ft")["pins"][0]["version"] == "2.1.0"
    summary = cli_json("import", str(source))
    assert (summary["documents"], summary["created"], summary["unchanged"], summary["failed"]) == (3, 0, 3, 0)
    events = cli_json("events", "--type", "asset.registered")["items"]
    assert len(events) == 3


def test_import_a_folder(cli_json: RunJson, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "b").mkdir(parents=True)
    (folder / "a-dataset.yaml").write_text(yaml.safe_dump(DATASET))
    (folder / "b" / "model.json").write_bytes(orjson.dumps(_derived("1.0.0")))
    (folder / "notes.txt").write_text("not a document")
    summary = cli_json("import", str(folder))
    assert (summary["documents"], summary["created"]) == (2, 2)


def test_a_failing_document_registers_nothing_of_its_batch(cli: CliRun, cli_json: RunJson, tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "bad.jsonl", [DATASET, with_version(MODEL, "1.0.0", spec={"parameters": "many"})])
    result = cli("import", str(source))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid_spec: document 1:")
    assert cli_json("assets")["items"] == []


def test_continue_on_error_registers_the_good_ones(cli: CliRun, cli_json: RunJson, tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "bad.jsonl", [DATASET, with_version(MODEL, "1.0.0", spec={"parameters": "many"})])
    result = cli("import", str(source), "--continue-on-error")
    assert result.exit_code == 1
    assert "invalid_spec" in result.stdout
    assert "1 registered, 0 unchanged, 1 failed" in result.stdout
    summary = orjson.loads(cli("import", str(source), "--continue-on-error", "--json").stdout)
    assert [(f["index"], f["error"]["field"]) for f in summary["failures"]] == [(1, "spec.parameters")]
    assert [a["name"] for a in cli_json("assets")["items"]] == ["acme/tickets"]


def test_a_line_that_does_not_parse_stops_before_anything_is_written(cli: CliRun, cli_json: RunJson,
                                                                     tmp_path: Path) -> None:
    source = tmp_path / "broken.jsonl"
    source.write_bytes(orjson.dumps(DATASET) + b"\n{not json\n")
    result = cli("import", str(source))
    assert result.exit_code == 1
    assert f"{source}:2: malformed JSON" in result.stderr
    assert cli_json("assets")["items"] == []
    assert cli("import", str(source), "--batch-size", "0").stderr.startswith("error: invalid_parameter: --batch-size")
