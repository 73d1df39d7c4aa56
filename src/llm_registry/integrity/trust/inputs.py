"""Reading what a client attaches (an envelope, a bundle, a statement) from a mapping or a JSON
file, and joining local file checks to a verification report: what both registry
implementations do before or after they call the registry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from llm_registry.assets.models import VersionDocument
from llm_registry.errors import ValidationError
from llm_registry.integrity.trust.local_files import check_folder
from llm_registry.integrity.trust.models import VerificationReport

JsonInput = Mapping[str, Any] | Path
MAX_FILE = 8 * 1024 * 1024


def read_json_input(value: JsonInput, *, field: str) -> dict[str, Any]:
    """A JSON object given as a mapping or a file; raises ValidationError naming ``field``."""
    if isinstance(value, Mapping):
        return dict(value)
    try:
        data = value.expanduser().read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {value}: {exc.strerror}", code="invalid_parameter", field=field) from None
    if len(data) > MAX_FILE:
        raise ValidationError(f"{value} is larger than {MAX_FILE} bytes", code="invalid_parameter", field=field)
    try:
        loaded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"{value} is not JSON: {exc}", code="invalid_parameter", field=field) from None
    if not isinstance(loaded, dict):
        raise ValidationError(f"{value}: expected a JSON object", code="invalid_parameter", field=field)
    return loaded


def read_public_key(value: str | bytes | Path) -> bytes:
    """PEM bytes given as text, bytes or a file; raises ValidationError (``invalid_key``) when
    the file cannot be read."""
    if isinstance(value, Path):
        try:
            return value.expanduser().read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {value}: {exc.strerror}", code="invalid_key",
                                  field="public_key") from None
    return value.encode("utf-8") if isinstance(value, str) else value


def with_local_files(report: VerificationReport, version: VersionDocument, files: Path | None) -> VerificationReport:
    """``report`` with the checks of the local folder ``files`` (when given) added."""
    if files is None:
        return report
    return VerificationReport.of(report.ref, report.digest, [*report.checks, *check_folder(version, files)])
