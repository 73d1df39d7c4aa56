"""Reading version documents from files (YAML or JSON) and describing local files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import yaml

from llm_registry.errors import ValidationError


def parse_manifest_text(text: str, *, source: str = "manifest") -> dict[str, Any]:
    """A mapping from YAML or JSON text; raises ValidationError (``invalid_manifest``) with the position."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"{source}: malformed JSON: {exc}", code="invalid_manifest", field=None) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise ValidationError(
                f"{source}: malformed YAML{where}: {problem}", code="invalid_manifest", field=None
            ) from None
    if not isinstance(data, dict):
        raise ValidationError(
            f"{source}: a version document must be a mapping, got {type(data).__name__}",
            code="invalid_manifest",
            field=None,
        )
    result: dict[str, Any] = _stringify_times(data)
    return result


def _stringify_times(value: Any) -> Any:
    # YAML reads unquoted dates as date objects; the document holds strings.
    if isinstance(value, dict):
        return {str(k): _stringify_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_times(v) for v in value]
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return value


def load_manifest(path: Path) -> dict[str, Any]:
    """The version document in a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", code="invalid_manifest", field="manifest") from None
    return parse_manifest_text(text, source=str(path))


def describe_files(paths: list[Path], *, root: Path | None = None) -> list[dict[str, Any]]:
    """``{path, digest, size}`` for each file, streamed through SHA-256."""
    out = []
    for path in paths:
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc}", code="invalid_parameter", field="file") from None
        name = path.relative_to(root).as_posix() if root else path.name
        out.append({"path": name, "digest": "sha256:" + digest.hexdigest(), "size": size})
    return out
