"""Validation of a version's ``spec`` against its kind's JSON Schema (draft 2020-12).

jsonschema (~40 ms to import) is imported when a spec fails, to say why; jinja2 when a prompt's
templates are checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from llm_registry.assets.schema_errors import json_type_name, schema_error
from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = ["spec_schema", "validate_spec"]


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


@cache
def _spec_validator(kind: Kind) -> Draft202012Validator:
    from jsonschema import Draft202012Validator, FormatChecker

    # The only format our schemas assert (on a prompt's variable patterns); both engines check it
    # with the same function.
    formats = FormatChecker(formats=())
    formats.checks("regex")(_is_python_regex)
    return Draft202012Validator(spec_schema(kind), format_checker=formats)


@cache
def _fast_validator(kind: Kind) -> Any:
    return jsonschema_rs.validator_for(
        dict(spec_schema(kind)), validate_formats=True, formats={"regex": _is_python_regex}
    )


def validate_spec(kind: Kind, spec: object) -> None:
    """Return when ``spec`` fits ``kind``'s schema; raises ValidationError (``invalid_spec``/``invalid_template``)."""
    if not isinstance(spec, dict):
        raise ValidationError(f"spec: must be an object, got {json_type_name(spec)}", code="invalid_spec", field="spec")
    # The compiled validator answers "valid?" in about a microsecond (jsonschema takes 50-250 µs);
    # only a spec that fails goes through jsonschema, whose errors carry the path and reason we
    # report. tests/unit/test_spec_engines.py checks that the two agree.
    if not _fast_validator(kind).is_valid(spec):
        from jsonschema.exceptions import best_match

        error = best_match(_spec_validator(kind).iter_errors(spec))
        if error is not None:
            raise schema_error(error, root="spec", code="invalid_spec")
    if kind is Kind.PROMPT:
        from llm_registry.assets.templates import check_prompt_spec

        check_prompt_spec(spec)
    elif kind is Kind.POLICY:
        from llm_registry.governance.policies import compile_policy

        compile_policy(spec)
