"""A JSON Schema violation as our ValidationError: the JSON path of the field to blame and a short reason.

Shared by spec validation (assets.validation) and prompt rendering (prompts.templates), which
both report jsonschema's errors; it imports neither.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from llm_registry.errors import ValidationError

if TYPE_CHECKING:
    from jsonschema import ValidationError as SchemaViolation

__all__ = ["json_path", "json_type_name", "schema_error"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


def schema_error(error: SchemaViolation, *, root: str, code: str) -> ValidationError:
    """A ValidationError naming the JSON path (under ``root``) and the problem of one schema violation."""
    path = list(error.absolute_path)
    problem: str
    validator = error.validator
    value: Any = error.validator_value
    instance = error.instance
    if validator == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        path.append(missing[0])
        problem = "is required"
    elif validator == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        unexpected = sorted(_unexpected_properties(instance, schema))
        if unexpected:
            path.append(unexpected[0])
        problem = "is not allowed" if len(unexpected) <= 1 else f"is not allowed (nor {', '.join(unexpected[1:])})"
    elif validator == "type":
        expected = " or ".join(value) if isinstance(value, list) else str(value)
        problem = f"must be of type {expected}, got {json_type_name(instance)}"
    elif validator == "enum":
        problem = f"must be one of {', '.join(_short(v) for v in value)}; got {_short(instance)}"
    elif validator == "const":
        problem = f"must be {_short(value)}; got {_short(instance)}"
    elif validator == "oneOf" and all(_only_required(sub) for sub in value):
        names = [name for sub in value for name in sub["required"]]
        problem = f"must have exactly one of {' or '.join(names)}"
    elif validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[validator]
        problem = f"must be {bound} {value}; got {_short(instance)}"
    elif validator == "minItems":
        problem = f"must have at least {value} item{'s' if value != 1 else ''}"
    elif validator == "minLength" and value == 1:
        problem = "must not be empty"
    else:
        problem = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    field = json_path(root, path)
    return ValidationError(f"{field}: {problem}", code=code, field=field)


def json_path(root: str, parts: Iterable[str | int]) -> str:
    """``root`` followed by ``.key`` or ``[index]`` for each part (``["key"]`` for keys that are not identifiers)."""
    out = [root]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def _unexpected_properties(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> Iterable[str]:
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for name in instance:
        if name not in known and not any(re.search(pattern, name) for pattern in patterns):
            yield name


def _only_required(subschema: object) -> bool:
    return isinstance(subschema, dict) and subschema.keys() == {"required"}


def json_type_name(value: object) -> str:
    """The JSON name of a value's type (``object``, ``array``, ``integer`` …)."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
