"""Turning manifests into validated parts, and stored rows into version documents."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson
import pydantic

from llm_registry.assets.interfaces import VersionRow
from llm_registry.assets.models import Labels, Manifest, VersionDocument
from llm_registry.assets.schema_errors import json_path
from llm_registry.domain.digests import digest_of
from llm_registry.domain.paths import check_file_paths
from llm_registry.errors import ValidationError

_TOP_LEVEL_CODES = {
    "kind": "invalid_kind",
    "name": "invalid_name",
    "version": "invalid_version",
    "spec": "invalid_spec",
}
# Parts of the document whose free-form values must be plain JSON (see check_plain_json).
_FREE_FORM = ("spec", "content", "dependencies", "labels", "provenance")
_INT_RANGE = range(-(2**63), 2**64)


def field_path(location: tuple[int | str, ...]) -> str:
    """``("dependencies", 1, "ref")`` → ``dependencies[1].ref``, written as spec errors are."""
    return json_path("", location).removeprefix(".")


def parse_manifest(data: object) -> Manifest:
    """A Manifest from a mapping; raises ValidationError naming the first bad field."""
    if isinstance(data, Manifest):
        return data
    if not isinstance(data, Mapping):
        raise ValidationError(
            f"a version document must be a mapping, got {type(data).__name__}", code="invalid_manifest", field=None
        )
    for key in _FREE_FORM:
        if key in data:
            check_plain_json(data[key], key)
    try:
        manifest = Manifest.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        location = tuple(error["loc"])
        path = field_path(location)
        if error["type"] == "extra_forbidden":
            raise ValidationError(f"unknown field {path!r}", code="unknown_field", field=path) from None
        code = _TOP_LEVEL_CODES.get(str(location[0]), "invalid_manifest") if len(location) == 1 else "invalid_manifest"
        message = f"{path}: {error['msg']}"
        given = error.get("input")
        if error["type"] == "string_type" and isinstance(given, int | float) and not isinstance(given, bool):
            # YAML reads `version: 1.0` as the number 1.0, not the text a version is.
            message += f" (got the number {given!r}: in YAML, quote it, as in {path}: \"{given}\")"
        raise ValidationError(message, code=code, field=path) from None
    if manifest.content is not None and manifest.content.files:
        check_file_paths([entry.path for entry in manifest.content.files])
    return manifest


def check_plain_json(value: Any, path: str) -> None:
    """Refuse what JSON (and so both databases and the digest) cannot hold exactly: non-string
    keys, bytes, sets, NaN and infinities, integers beyond 64 bits, NUL characters and lone
    surrogates. Raises ValidationError naming the field (``invalid_spec`` under ``spec``)."""
    if _is_plain_json(value):
        return
    problem = _json_problem(value)
    if problem is None:
        return
    where, what = problem
    field = json_path(path, where)
    code = "invalid_spec" if field == "spec" or field.startswith(("spec.", "spec[")) else "invalid_manifest"
    raise ValidationError(f"{field}: {what}", code=code, field=field)


def _is_plain_json(value: Any) -> bool:
    """The common case, in C: orjson refuses non-string keys, bytes, sets, integers beyond 64 bits
    and lone surrogates; what it would change on the way (NaN and infinities become null, tuples
    lists, dates and UUIDs strings) makes the round trip unequal; a NUL shows as its escape.
    False means "look closer" (``_json_problem`` names what is wrong, if anything)."""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return b"\\u0000" not in encoded and orjson.loads(encoded) == value


def _json_problem(value: Any) -> tuple[tuple[str | int, ...], str] | None:
    """(the path below ``value`` to the first value JSON cannot hold, what is wrong), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if "\x00" in value:
            return (), "must not contain a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (), "is not valid Unicode (a lone surrogate)"
        return None
    if isinstance(value, int):
        return None if value in _INT_RANGE else ((), "integer does not fit in 64 bits")
    if isinstance(value, float):
        return None if math.isfinite(value) else ((), "must be a finite number (no NaN or infinity)")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (), f"keys must be strings, got {type(key).__name__} {key!r}"
            problem = _json_problem(key)
            if problem is not None:
                return (), f"key {key!r} {problem[1]}"
            problem = _json_problem(item)
            if problem is not None:
                return (key, *problem[0]), problem[1]
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _json_problem(item)
            if problem is not None:
                return (index, *problem[0]), problem[1]
        return None
    return (), f"{type(value).__name__} is not a JSON value"


def content_digest(manifest: Manifest, document_digest: str) -> str:
    """The version digest: the claimed content digest, the digest of the canonical file
    manifest for multi-file content, else the digest of the immutable document."""
    content = manifest.content
    if content is not None and content.files:
        files = sorted(
            ({"path": f.path, "digest": f.digest, "size": f.size} for f in content.files), key=lambda f: str(f["path"])
        )
        computed = digest_of(files)
        if content.digest is not None and content.digest != computed:
            raise ValidationError(
                f"content.digest {content.digest} is not the digest of the file manifest ({computed})",
                code="invalid_digest",
                field="content.digest",
            )
        return computed
    if content is not None and content.digest is not None:
        return content.digest
    return document_digest


def immutable_fields(manifest: Manifest, name: str) -> dict[str, Any]:
    """What a re-registration must repeat exactly to be idempotent."""
    return {
        "kind": manifest.kind.value,
        "name": name,
        "version": manifest.version,
        "spec": manifest.spec,
        "content": manifest.content.model_dump(exclude_none=True) if manifest.content else None,
        "dependencies": [d.model_dump(mode="json") for d in manifest.dependencies],
        "provenance": manifest.provenance,
    }


def to_document(row: VersionRow, labels: dict[str, Any] | None = None) -> VersionDocument:
    """The version document of a stored row (``labels`` overrides, for "as of" reads)."""
    return VersionDocument.model_validate(
        {
            "kind": row.kind,
            "name": f"{row.namespace}/{row.name}",
            "version": row.version,
            "spec": row.spec,
            "content": row.content,
            "dependencies": row.dependencies,
            "labels": row.labels if labels is None else labels,
            "provenance": row.provenance,
            "id": row.id,
            "digest": row.digest,
            "status": row.status,
            "status_message": row.status_message,
            "replacement": row.replacement,
            "created_at": row.created_at,
            "created_by": row.created_by,
            "updated_at": row.updated_at,
            "revision": row.revision,
            "pins": row.pins,
            "aliases": row.aliases,
        }
    )


def validate_labels(data: Mapping[str, Any]) -> dict[str, Any]:
    """Labels checked by the same rules as at registration; raises ValidationError naming ``labels.*``."""
    try:
        return Labels.model_validate(data).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        path = field_path(("labels", *error["loc"]))
        code = "unknown_field" if error["type"] == "extra_forbidden" else "invalid_manifest"
        raise ValidationError(f"{path}: {error['msg']}", code=code, field=path) from None
