"""The lockfile format: the exact text written, reading it back, and the errors of a bad file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from llm_registry.errors import ValidationError
from llm_registry.lineage.lockfiles import (
    LockfileFormat,
    load_lockfile,
    read_lockfile,
    render_lockfile,
    write_lockfile,
)
from llm_registry.lineage.models import Lockfile

LOCK = Lockfile.model_validate({
    "generated_at": "2026-01-01T00:00:00.000000Z",
    "roots": [{"ref": "model:acme/m", "resolved": "model:acme/m@1.0.0"}],
    "entries": [
        {"ref": "dataset:acme/qa@3.0.0", "kind": "dataset", "name": "acme/qa", "version": "3.0.0",
         "digest": "sha256:ab"},
        {"ref": "model:acme/m@1.0.0", "kind": "model", "name": "acme/m", "version": "1.0.0", "digest": "sha256:cd",
         "dependencies": [{"ref": "dataset:acme/qa@3.0.0", "relation": "trained_on"}]},
    ],
})

YAML = """\
lockfile_version: 1
generated_at: '2026-01-01T00:00:00.000000Z'
roots:
- ref: model:acme/m
  resolved: model:acme/m@1.0.0
entries:
- ref: dataset:acme/qa@3.0.0
  kind: dataset
  name: acme/qa
  version: 3.0.0
  digest: sha256:ab
  dependencies: []
- ref: model:acme/m@1.0.0
  kind: model
  name: acme/m
  version: 1.0.0
  digest: sha256:cd
  dependencies:
  - ref: dataset:acme/qa@3.0.0
    relation: trained_on
"""


def test_json_text_is_indented_by_two_and_ends_in_a_newline() -> None:
    text = render_lockfile(LOCK)
    assert text.startswith('{\n  "lockfile_version": 1,\n  "generated_at": "2026-01-01T00:00:00.000000Z",\n')
    assert '\n      "dependencies": []\n' in text
    assert text.endswith("\n  ]\n}\n")
    assert load_lockfile(text) == LOCK


def test_yaml_text_keeps_the_model_order() -> None:
    assert render_lockfile(LOCK, LockfileFormat.YAML) == YAML
    assert load_lockfile(YAML) == LOCK


@pytest.mark.parametrize(("name", "format"), [
    ("registry.lock.yaml", LockfileFormat.YAML),
    ("registry.lock.yml", LockfileFormat.YAML),
    ("registry.lock.json", LockfileFormat.JSON),
    ("registry.lock", LockfileFormat.JSON),
])
def test_a_file_is_written_in_the_format_its_name_says(tmp_path: Path, name: str, format: LockfileFormat) -> None:
    path = tmp_path / name
    write_lockfile(LOCK, path)
    assert LockfileFormat.for_path(path) is format
    assert path.read_text(encoding="utf-8") == render_lockfile(LOCK, format)
    assert read_lockfile(path) == LOCK


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2", "bad.lock is not JSON or YAML: "),
    ("- 1\n- 2\n", "bad.lock is not a lockfile"),
    ('{"entries": 3}', "not a lockfile: "),
])
def test_bad_text_is_an_invalid_parameter(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.lock"
    path.write_text(text, encoding="utf-8")
    loads: list[Callable[[], Lockfile]] = [lambda: read_lockfile(path), lambda: load_lockfile(text, source=str(path))]
    for load in loads:
        with pytest.raises(ValidationError) as info:
            load()
        assert (info.value.code, info.value.field) == ("invalid_parameter", "lock")
        assert message in str(info.value)


def test_an_unreadable_file_is_an_invalid_parameter(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        read_lockfile(tmp_path / "missing.lock")
    assert (info.value.code, info.value.field) == ("invalid_parameter", "lock")
    assert str(info.value) == f"cannot read {tmp_path / 'missing.lock'}: No such file or directory"
