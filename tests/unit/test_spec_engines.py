"""The two JSON Schema engines behind validate_spec give the same answer.

jsonschema-rs answers "is this spec valid?" (about a microsecond); Python jsonschema explains
why a spec is not. If they disagreed, a spec that the fast engine refuses and the explaining one
accepts would pass unexplained, and one the fast engine accepts would never be explained at all.
The specs here are drawn from each kind's own schema, mostly valid, with near misses at every
level: wrong types, numbers just past a bound, integral floats, 64-bit extremes, missing fields,
extra fields (every spec schema allows them: both engines must agree that they do), empty
strings and arrays, nested arrays, and prompt variable patterns that one regex dialect accepts
and another refuses. The drawing follows the keywords our schemas use ($ref, allOf, oneOf,
if/then/else, const, enum, type, properties, items, bounds, format), not all of JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from llm_registry.assets.templates import render_prompt
from llm_registry.assets.validation import _fast_validator as fast_validator
from llm_registry.assets.validation import _spec_validator as explaining_validator
from llm_registry.assets.validation import spec_schema, validate_spec
from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError

# Patterns on which regex dialects differ: Python's re, ECMA-262 (the JSON Schema default) and
# Rust's regex. A prompt's variable patterns are applied by Python's re when it is rendered.
PATTERNS = [
    "^[a-z]+$", r"\d{3}-\d{4}", "(", "[", "a{3,1}", "*", r"\Z", r"\A", "(?i)abc", "(?P<name>x)", "(?<name>x)",
    r"\p{L}+", r"\cA", r"\1(a)", "(a)\\1", "a++", "(?>a)", "a{,3}", "{", "}", "]", "[]a]", r"\u0041", r"\x41",
    "(?#comment)", r"\N{DIGIT ONE}", "(?s).", r"\k<n>(?<n>a)", "(?<=a)b", "(?<!a)b", r"\e", r"\07", r"\08", "",
]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6),
)
_KEYS = st.one_of(st.sampled_from(["name", "type", "rows", "x", "", "with space", "ünï"]), st.text(max_size=4).filter(
    lambda key: "\x00" not in key and all(not 0xD800 <= ord(c) <= 0xDFFF for c in key)))
ANY_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)), max_leaves=8)
NEAR_MISSES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1, 0.5, 1.0, -0.0, 2**63 - 1, 2**64 - 1, -(2**63), 1e300, "", "x",
                     [], [[]], [1, [2, [3]]], {}, {"a": 1}]),
    ANY_JSON,
)


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Both schemas' keywords in one (properties and required joined): enough for allOf and $ref here."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties":
            merged["properties"] = {**merged.get("properties", {}), **value}
        elif key == "required":
            merged["required"] = [*merged.get("required", []), *value]
        else:
            merged[key] = value
    return merged


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    """``schema`` with a local ``$ref`` and ``allOf`` merged in (their siblings apply too, as in draft 2020-12)."""
    if not isinstance(schema, Mapping):
        return schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = _merge(_resolve(target, root), {key: value for key, value in schema.items() if key != "$ref"})
    if "allOf" in schema:
        merged = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema["allOf"]:
            merged = _merge(merged, _resolve(part, root))
        schema = merged
    return schema


def from_schema(schema: Any, root: Mapping[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for ``schema``: mostly valid, sometimes a near miss, at every level."""
    valid = _valid_values(_resolve(schema, root), root, depth)
    if depth == 0:
        return valid
    # One value in about twelve is a near miss: enough invalid specs, and valid ones still common.
    return _rarely().flatmap(lambda near_miss: NEAR_MISSES if near_miss else valid)


def _rarely() -> st.SearchStrategy[bool]:
    """True about one time in twelve (not on 0, which hypothesis draws far more often than its share)."""
    return st.integers(0, 11).map(lambda roll: roll == 7)


def _valid_values(schema: Any, root: Mapping[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if schema is True or schema == {} or depth > 4:
        return ANY_JSON
    if schema is False:
        return NEAR_MISSES
    if "oneOf" in schema and "type" not in schema:
        return st.one_of([from_schema(option, root, depth) for option in schema["oneOf"]])
    if "if" in schema:
        return st.one_of(_valid_values(schema["then"], root, depth), _valid_values(schema["else"], root, depth))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema and "type" not in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "object" if "properties" in schema else None)
    if types is None:
        return ANY_JSON
    if isinstance(types, list):
        return st.one_of([_valid_values({**schema, "type": kind}, root, depth) for kind in types])
    if types == "object" and "oneOf" in schema:  # the prompt's "exactly one of template or messages"
        rest = {key: value for key, value in schema.items() if key != "oneOf"}
        return st.one_of([
            _objects(_merge(rest, option), root, depth,
                     absent={name for other in schema["oneOf"] if other is not option for name in other["required"]})
            for option in schema["oneOf"]
        ])
    if types == "object":
        return _objects(schema, root, depth)
    if types == "array":
        items = schema.get("items", True)
        return st.lists(from_schema(items, root, depth + 1), min_size=schema.get("minItems", 0), max_size=3)
    if types == "string":
        if schema.get("format") == "regex":
            return st.sampled_from(PATTERNS)
        return st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                       min_size=schema.get("minLength", 0), max_size=8)
    if types in ("number", "integer"):
        return _numbers(schema, integral=types == "integer")
    if types == "boolean":
        return st.booleans()
    return st.none()


def _objects(
    schema: Mapping[str, Any], root: Mapping[str, Any], depth: int, absent: frozenset[str] | set[str] = frozenset()
) -> st.SearchStrategy[Any]:
    """Objects with the required fields, some of the others, and extra ones; ``absent`` fields seldom appear."""
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    extra = schema.get("additionalProperties", True)
    known = {name: from_schema(sub, root, depth + 1) for name, sub in properties.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, values in known.items():
            wanted = draw(_rarely()) if name in absent else name in required or draw(st.booleans())
            if wanted:
                out[name] = draw(values)
        for key in draw(st.lists(_KEYS, max_size=2)):
            out.setdefault(key, draw(ANY_JSON if extra is True else from_schema(extra, root, depth + 1)))
        if required and draw(_rarely()):  # a required field left out
            out.pop(draw(st.sampled_from(sorted(required))), None)
        return out

    return build()


def _numbers(schema: Mapping[str, Any], *, integral: bool) -> st.SearchStrategy[Any]:
    bounds = [schema[key] for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if key in schema]
    edges = [value + offset for value in bounds for offset in (-1, -0.5, 0, 0.5, 1)]
    base = st.integers(-(2**63), 2**64 - 1) if integral else st.floats(allow_nan=False, allow_infinity=False)
    return st.one_of(base, st.sampled_from([*edges, 0, 1, 2.0, 7e9, 1e300]))


@cache
def specs(kind: Kind) -> st.SearchStrategy[Any]:
    schema = spec_schema(kind)
    return from_schema(schema, schema)


@pytest.mark.parametrize("kind", list(Kind))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_engines_agree_on_every_spec(kind: Kind, data: st.DataObject) -> None:
    spec = data.draw(specs(kind), label="spec")
    fast = fast_validator(kind).is_valid(spec)
    explained = next(explaining_validator(kind).iter_errors(spec), None)
    event("valid" if fast else "invalid")
    assert fast == (explained is None), f"jsonschema-rs says valid={fast}, jsonschema says {explained!r}"


@st.composite
def prompts_with_variables(draw: st.DrawFn) -> dict[str, Any]:
    """Prompt specs whose variables schema is drawn in depth: the deepest part of any spec schema."""
    schema = spec_schema(Kind.PROMPT)
    variables = draw(_valid_values(_resolve(schema["properties"]["variables"], schema), schema, 1))
    return {"template": "{{ q }}", "variables": variables}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompts_with_variables())
def test_both_engines_agree_on_prompt_variable_schemas(spec: dict[str, Any]) -> None:
    fast = fast_validator(Kind.PROMPT).is_valid(spec)
    explained = next(explaining_validator(Kind.PROMPT).iter_errors(spec), None)
    event("valid" if fast else "invalid")
    assert fast == (explained is None), f"jsonschema-rs says valid={fast}, jsonschema says {explained!r}"


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize(
    ("where", "field"),
    [(("q",), "spec.variables.properties.q.pattern"), (("q", "items"), "spec.variables.properties.q.items.pattern")],
)
def test_a_variable_pattern_is_refused_exactly_when_python_cannot_compile_it(
    pattern: str, where: tuple[str, ...], field: str
) -> None:
    variable: dict[str, Any] = {"pattern": pattern}
    if "items" in where:
        variable = {"type": "array", "items": variable}
    spec = {"template": "{{ q }}", "variables": {"type": "object", "properties": {"q": variable}}}
    assert fast_validator(Kind.PROMPT).is_valid(spec) == _compiles(pattern)
    assert (next(explaining_validator(Kind.PROMPT).iter_errors(spec), None) is None) == _compiles(pattern)
    if not _compiles(pattern):
        with pytest.raises(ValidationError) as info:
            validate_spec(Kind.PROMPT, spec)
        assert (info.value.code, info.value.field) == ("invalid_spec", field)
        return
    validate_spec(Kind.PROMPT, spec)
    # What registration accepted, rendering can apply: the variables are checked, never the schema refused.
    code = "rendered"
    try:
        render_prompt(spec, {"q": ["x"] if "items" in where else "x"})
    except ValidationError as error:
        code = error.code
    assert code in ("rendered", "invalid_variables")
