"""Prompt templates: the check made at registration, and rendering in a Jinja2 sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType, best_match

from llm_registry.assets.schema_errors import schema_error
from llm_registry.errors import ValidationError

__all__ = ["check_prompt_spec", "render_prompt"]


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    # Immutable: templates cannot change the values they are given (list.append, dict.update …).
    # StrictUndefined: a missing value is an error, never a silent empty string; it also turns the
    # sandbox's "unsafe attribute" placeholder into a SecurityError as soon as it is used.
    return ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)


def check_prompt_spec(spec: Mapping[str, Any]) -> None:
    """Return when every template parses and uses only declared variables; raises ValidationError otherwise."""
    variables = spec.get("variables")
    properties = variables.get("properties") if isinstance(variables, Mapping) else None
    declared = set(properties) if isinstance(properties, Mapping) else set()
    for field, source in _templates(spec):
        undeclared = sorted(_used_variables(source, field) - declared)
        if undeclared:
            names = ", ".join(undeclared)
            raise ValidationError(
                f"{field}: uses variable{'s' if len(undeclared) > 1 else ''} {names} not declared in"
                " spec.variables.properties",
                code="invalid_template",
                field=field,
            )


def render_prompt(spec: Mapping[str, Any], variables: Mapping[str, object]) -> dict[str, Any]:
    """``{"text"}`` or ``{"messages"}`` rendered from a checked prompt spec; raises ValidationError on bad input."""
    if not isinstance(variables, Mapping):
        raise ValidationError(
            f"variables: must be an object, got {type(variables).__name__}", code="invalid_variables", field="variables"
        )
    schema = spec.get("variables")
    values = _with_defaults(schema, variables)
    if isinstance(schema, Mapping):
        try:
            error = best_match(Draft202012Validator(schema).iter_errors(values))
        except (SchemaError, UnknownType, re.error) as exc:  # corners the registration check does not reach
            message = f"spec.variables: not a usable JSON Schema: {type(exc).__name__}: {exc}"
            raise ValidationError(message[:300], code="invalid_spec", field="spec.variables") from None
        if error is not None:
            raise schema_error(error, root="variables", code="invalid_variables")
    if "template" in spec:
        return {"text": _render(spec["template"], values, "spec.template")}
    return {
        "messages": [
            {"role": message["role"], "content": _render(message["content"], values, f"spec.messages[{index}].content")}
            for index, message in enumerate(spec["messages"])
        ]
    }


def _templates(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, source) of each template in the spec: the text template or every message's content."""
    if "template" in spec:
        yield "spec.template", spec["template"]
        return
    for index, message in enumerate(spec.get("messages") or ()):
        yield f"spec.messages[{index}].content", message["content"]


def _used_variables(source: str, field: str) -> set[str]:
    """The free variables of ``source``; raises ValidationError on a syntax error or an internal attribute."""
    if "{" not in source:  # every Jinja delimiter starts with "{": plain text, nothing to parse (~100 µs saved)
        return set()
    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            f"{field}: syntax error on line {exc.lineno}: {exc.message}", code="invalid_template", field=field
        ) from None
    # The sandbox refuses these at render time anyway; refusing at registration tells the author sooner.
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        if isinstance(name, str) and name.startswith("_"):
            raise ValidationError(
                f"{field}: line {node.lineno}: access to internal attribute {name!r} is not allowed",
                code="invalid_template",
                field=field,
            )
    return meta.find_undeclared_variables(tree)


def _with_defaults(schema: object, variables: Mapping[str, object]) -> dict[str, object]:
    """A new dict: ``variables`` plus the declared default of each missing property."""
    values = dict(variables)
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    if isinstance(properties, Mapping):
        for name, prop in properties.items():
            if name not in values and isinstance(prop, Mapping) and "default" in prop:
                values[name] = prop["default"]
    return values


def _render(source: str, values: Mapping[str, object], field: str) -> str:
    try:
        return _environment().from_string(source).render(values)
    except SecurityError as exc:
        raise ValidationError(f"{field}: refused by the sandbox: {exc}", code="invalid_template", field=field) from None
    except TemplateSyntaxError as exc:
        raise ValidationError(
            f"{field}: syntax error on line {exc.lineno}: {exc.message}", code="invalid_template", field=field
        ) from None
    except Exception as exc:  # anything the template's own code raises (undefined, 1/0, bad filter args) is its fault
        raise ValidationError(
            f"{field}: rendering failed: {type(exc).__name__}: {exc}", code="invalid_template", field=field
        ) from None
