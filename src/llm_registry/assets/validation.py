"""Validation of a version's ``spec`` against its kind's JSON Schema (draft 2020-12)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema import ValidationError as SchemaViolation
from jsonschema.exceptions import best_match

from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError

__all__ = ["schema_error", "spec_schema", "validate_spec"]

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


@cache
def spec_schema(kind: Kind) -> Mapping[str, Any]:
    """The JSON Schema of ``kind``'s spec, read once from the package data."""
    text = resources.files("llm_registry.assets").joinpath("schemas", f"{kind.value}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _is_python_regex(instance: object) -> bool:
    """Does Python's ``re`` compile it? A prompt's variable patterns are applied with ``re`` when it is
    rendered, so that is the dialect to check. jsonschema-rs's own "regex" format checks ECMA-262: it
    refuses ``\\Z`` and ``(?i)``, which ``re`` compiles, and accepts ``(?<name>x)`` and ``\\p{L}``, which it cannot."""
    if not isinstance(instance, str):
        return True
    try:
        re.compile(instance)
    except re.error:
        return False
    return True


# The only format our schemas assert (on a prompt's variable patterns); both engines check it with the same function.
_FORMATS = FormatChecker(formats=())
_FORMATS.checks("regex")(_is_python_regex)


@cache
def _spec_validator(kind: Kind) -> Draft202012Validator:
    return Draft202012Validator(spec_schema(kind), format_checker=_FORMATS)


@cache
def _fast_validator(kind: Kind) -> Any:
    return jsonschema_rs.validator_for(
        dict(spec_schema(kind)), validate_formats=True, formats={"regex": _is_python_regex}
    )


def validate_spec(kind: Kind, spec: object) -> None:
    """Return when ``spec`` fits ``kind``'s schema; raises ValidationError (``invalid_spec``/``invalid_template``)."""
    if not isinstance(spec, dict):
        raise ValidationError(f"spec: must be an object, got {_type_name(spec)}", code="invalid_spec", field="spec")
    # The compiled validator answers "valid?" in about a microsecond (jsonschema takes 50-250 µs);
    # only a spec that fails goes through jsonschema, whose errors carry the path and reason we
    # report. tests/unit/test_spec_engines.py checks that the two agree.
    if not _fast_validator(kind).is_valid(spec):
        error = best_match(_spec_validator(kind).iter_errors(spec))
        if error is not None:
            raise schema_error(error, root="spec", code="invalid_spec")
    if kind is Kind.PROMPT:
        # Imported here because prompts.templates uses schema_error from this module.
        from llm_registry.prompts.templates import check_prompt_spec

        check_prompt_spec(spec)


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
        problem = f"must be of type {expected}, got {_type_name(instance)}"
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


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
