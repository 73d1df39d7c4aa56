"""Reading version documents (a mapping, YAML/JSON text, or a file) and describing local files
in them: what every client does before it sends a document, embedded or remote alike."""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from llm_registry.errors import ValidationError


@functools.cache
def _manifest_loader() -> type[Any]:
    """YAML's safe loader with YAML 1.2's booleans: only ``true`` and ``false`` are booleans, so
    ``on: [register]`` (a policy rule) keeps its key and ``country: no`` its value, where YAML 1.1
    would read ``on``, ``off``, ``yes`` and ``no`` as booleans."""
    import re

    import yaml

    class ManifestLoader(yaml.SafeLoader):
        pass

    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:bool"]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    ManifestLoader.yaml_implicit_resolvers = resolvers
    ManifestLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return ManifestLoader


def parse_manifest_text(text: str, *, source: str = "manifest") -> dict[str, Any]:
    """A mapping from YAML or JSON text; raises ValidationError (``invalid_manifest``) with the position."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"{source}: malformed JSON: {exc}", code="invalid_manifest", field=None) from None
    else:
        import yaml

        try:
            data = yaml.load(text, Loader=_manifest_loader())  # a SafeLoader
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


ManifestInput = Mapping[str, Any] | str | Path
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def read_manifest(manifest: ManifestInput) -> Mapping[str, Any]:
    """A mapping from a mapping, a path, or YAML/JSON text. A one-line string ending in .yaml,
    .yml or .json that names an existing file is read as that file (text with a newline, or
    naming no file, is parsed as a document)."""
    if isinstance(manifest, Path):
        return load_manifest(manifest)
    if isinstance(manifest, str):
        if "\n" not in manifest and manifest.strip().lower().endswith(MANIFEST_SUFFIXES):
            path = Path(manifest.strip()).expanduser()
            if path.is_file():
                return load_manifest(path)
            raise ValidationError(f"no file {manifest.strip()!r}", code="invalid_manifest", field="manifest")
        return parse_manifest_text(manifest)
    return manifest


def load_manifest(path: Path) -> dict[str, Any]:
    """The version document in a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", code="invalid_manifest", field="manifest") from None
    return parse_manifest_text(text, source=str(path))


def describe_files(
    paths: list[Path], *, root: Path | None = None, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, Any]]:
    """``{path, digest, size}`` for each file, streamed through SHA-256; ``progress(done, total)``
    is told the bytes hashed so far."""
    out = []
    total = sum(_size(path) for path in paths) if progress is not None else 0
    done = 0
    for path in paths:
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    if progress is not None:
                        done += len(chunk)
                        progress(done, total)
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc}", code="invalid_parameter", field="file") from None
        name = path.relative_to(root).as_posix() if root else path.name
        out.append({"path": name, "digest": "sha256:" + digest.hexdigest(), "size": size})
    return out


def attach_files(
    document: Mapping[str, Any], files: Sequence[Path], *, root: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The document with ``content.files`` describing ``files`` (sha256 and size, streamed); a
    file replaces an entry of the same path. Paths are recorded relative to ``root`` when given
    (each file must be inside it), else as the file name alone. Raises ValidationError."""
    content = document.get("content") or {}
    if not isinstance(content, dict):
        raise ValidationError("content: expected a mapping", code="invalid_manifest", field="content")
    existing = content.get("files") or []
    if not isinstance(existing, list):
        raise ValidationError("content.files: expected a list", code="invalid_manifest", field="content.files")
    if root is not None:
        base = root.resolve()
        for path in files:
            if not path.resolve().is_relative_to(base):
                raise ValidationError(
                    f"{path} is not inside the files root {root}", code="invalid_parameter", field="file"
                )
        described = describe_files([p.resolve() for p in files], root=base, progress=progress)
    else:
        described = describe_files(list(files), progress=progress)
    paths = [entry["path"] for entry in described]
    duplicates = sorted(path for path, count in Counter(paths).items() if count > 1)
    if duplicates:
        raise ValidationError(
            f"several files have the path {duplicates[0]!r}; record paths relative to a files root "
            "(--files-root) to keep folders apart",
            code="invalid_parameter", field="file",
        )
    replaced = set(paths)
    kept = [e for e in existing if not (isinstance(e, dict) and e.get("path") in replaced)]
    return {**document, "content": {**content, "files": kept + described}}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it says what is wrong
