"""The lockfile format: a ``Lockfile`` written as JSON or YAML text, and read back.

Every transport shares it: the CLI writes and reads files with it, and Python callers can do
the same. JSON is indented by two spaces; YAML keeps the fields in the model's order. Both end
in a newline. Reading takes either, since YAML is a superset of JSON. Every failure to read
one raises ValidationError (``invalid_parameter``, field ``lock``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import yaml

from llm_registry.errors import ValidationError
from llm_registry.lineage.models import Lockfile


class LockfileFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"

    @classmethod
    def for_path(cls, path: Path) -> LockfileFormat:
        """YAML for a file named ``*.yaml`` or ``*.yml``, JSON for any other."""
        return cls.YAML if path.suffix in (".yaml", ".yml") else cls.JSON


def render_lockfile(lockfile: Lockfile, format: LockfileFormat = LockfileFormat.JSON) -> str:
    """The lockfile as text in ``format``."""
    data = lockfile.model_dump(mode="json")
    if format is LockfileFormat.YAML:
        return yaml.safe_dump(data, sort_keys=False)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def write_lockfile(lockfile: Lockfile, path: Path) -> None:
    """Write the lockfile to ``path``, in the format its name says (``LockfileFormat.for_path``)."""
    path.write_text(render_lockfile(lockfile, LockfileFormat.for_path(path)), encoding="utf-8")


def parse_lockfile(data: Mapping[str, Any]) -> Lockfile:
    """A lockfile from its JSON/YAML data; raises ValidationError (``invalid_parameter``)."""
    try:
        return Lockfile.model_validate(data)
    except ValueError as exc:
        raise ValidationError(f"not a lockfile: {exc}", code="invalid_parameter", field="lock") from None


def load_lockfile(text: str, *, source: str = "the lockfile") -> Lockfile:
    """A lockfile from JSON or YAML text; ``source`` names it in errors. Raises ValidationError
    (``invalid_parameter``) for text that is neither, or not a lockfile."""
    try:
        data: Any = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source} is not JSON or YAML: {exc}", code="invalid_parameter", field="lock") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source} is not a lockfile", code="invalid_parameter", field="lock")
    return parse_lockfile(data)


def read_lockfile(path: Path) -> Lockfile:
    """A lockfile from a JSON or YAML file; raises ValidationError (``invalid_parameter``) for
    a file that cannot be read, or whose text is not a lockfile."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", code="invalid_parameter", field="lock") from None
    return load_lockfile(text, source=str(path))
