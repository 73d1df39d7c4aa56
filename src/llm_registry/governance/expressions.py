"""CEL expressions of policy rules: compiled once, checked when the policy is registered,
evaluated with a bounded cost.

CEL comes from ``common-expression-language`` (the Python bindings of the Rust ``cel``
interpreter): it evaluates the rules of the benchmark in 0.4-13 us each, where ``cel-python``
takes 200-640 us; both parse the same grammar and report syntax errors with line and column.

Neither checks types without declared message types, so registration checks what can be
checked from the text: the syntax (with its position), that every name is one the context
gives (``asset``, ``actor``, ``operation``, ``target``, ``evaluations``, ``stats``, ``now`` or
a comprehension's variable), that every function is CEL's, and that the cost is bounded: at
most ``MAX_SOURCE`` characters and no comprehension (``exists``, ``all``, ``map``, …) inside
another, so a rule's work grows with the size of its input (itself bounded) and never with a
power of it. A type error left (``asset.spec.rows > "a"``) is an evaluation error, which fails
closed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cel

from llm_registry.errors import ValidationError

MAX_SOURCE = 2_000
# What an expression may name; ``now`` is the evaluation's time (a CEL timestamp).
VARIABLES = frozenset({"asset", "actor", "operation", "target", "evaluations", "stats", "now"})
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
# CEL's standard functions and operators as the interpreter names them.
FUNCTIONS = frozenset({
    "!_", "-_", "@in", "@not_strictly_false", "_!=_", "_%_", "_&&_", "_*_", "_+_", "_-_", "_/_", "_<=_",
    "_<_", "_==_", "_>=_", "_>_", "_?_:_", "_[_]", "_||_", "contains", "startsWith", "endsWith", "matches",
    "size", "int", "uint", "double", "string", "bytes", "bool", "timestamp", "duration", "type", "dyn",
    "has", "exists", "exists_one", "all", "map", "filter", "getFullYear", "getMonth", "getDate",
    "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds",
    "getMilliseconds", "max", "min", "lowerAscii", "upperAscii", "trim", "split", "join", "replace",
    "indexOf", "lastIndexOf", "substring", "charAt", "format",
})
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")
_TOKEN = re.compile(
    r"""(?P<string>[rR]?[bB]?("""
    r'''"""(?:\\.|[^\\])*?"""|'''
    r"""'''(?:\\.|[^\\])*?'''|"""
    r'''"(?:\\.|[^"\\\n])*"|'''
    r"""'(?:\\.|[^'\\\n])*'))"""
    r"""|(?P<macro>\.\s*(?P<name>[A-Za-z_]\w*)\s*\(\s*(?P<var>[A-Za-z_]\w*)?)"""
    r"""|(?P<open>[(\[{])|(?P<close>[)\]}])"""
)
_STRINGS_OR_REST = re.compile(
    r"""(?P<string>[rR]?[bB]?("""
    r'''"""(?:\\.|[^\\])*?"""|'''
    r"""'''(?:\\.|[^\\])*?'''|"""
    r'''"(?:\\.|[^"\\\n])*"|'''
    r"""'(?:\\.|[^'\\\n])*'))"""
    r"""|(?P<rest>[^'\"]+|.)""",
    re.DOTALL,
)


class EvaluationError(Exception):
    """An expression failed at evaluation (a missing field, a wrong type, a result not a bool)."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled CEL expression and the names of the context it reads."""

    source: str
    program: Any  # cel.Program
    variables: frozenset[str]
    # Per variable of the context it reads, the fields it reads of it (None: the whole value):
    # the context is converted to CEL with only those (converting is most of a rule's cost).
    fields: Mapping[str, frozenset[str] | None] = dataclasses.field(default_factory=dict)

    def evaluate(self, context: dict[str, Any] | cel.Context) -> bool:
        """The expression's value (True or False) over ``context`` (a mapping, or a
        ``shared_context`` for several expressions); raises EvaluationError."""
        try:
            value = self.program.execute(context)
        except (KeyError, TypeError, RuntimeError, ValueError, OverflowError) as error:
            detail = f"no field {error.args[0]!r}" if isinstance(error, KeyError) and error.args else str(error)
            raise EvaluationError(detail.split(". ")[0]) from None
        if not isinstance(value, bool):
            raise EvaluationError(f"the expression's value is {type(value).__name__} {value!r}, not a bool")
        return value


def shared_context(context: Mapping[str, Any]) -> cel.Context:
    """``context`` converted to CEL values once, for evaluating several expressions over it (a
    mapping is converted again by every evaluation); raises EvaluationError for a value CEL
    cannot hold."""
    try:
        return cel.Context(dict(context))
    except (TypeError, ValueError, OverflowError) as error:
        raise EvaluationError(str(error).split(". ")[0]) from None


def compile_expression(source: str, *, field: str) -> Expression:
    """Compile and check ``source``; raises ValidationError (``invalid_expression``) naming
    ``field`` and, for a syntax error, its line and column."""
    if not isinstance(source, str) or not source.strip():
        raise ValidationError(f"{field}: an expression is required", code="invalid_expression", field=field)
    if len(source) > MAX_SOURCE:
        raise ValidationError(
            f"{field}: the expression is longer than {MAX_SOURCE} characters", code="invalid_expression", field=field
        )
    local = _comprehension_variables(source, field)
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as error:
        raise _syntax_error(str(error), field) from None
    names = frozenset(program.variables())
    unknown = sorted(names - VARIABLES - local)
    if unknown:
        raise ValidationError(
            f"{field}: unknown name {unknown[0]!r}; an expression reads {', '.join(sorted(VARIABLES))}",
            code="invalid_expression", field=field, details={"name": unknown[0]},
        )
    functions = sorted(set(program.functions()) - FUNCTIONS)
    if functions:
        raise ValidationError(
            f"{field}: unknown function {functions[0]!r}", code="invalid_expression", field=field,
            details={"function": functions[0]},
        )
    read = names & VARIABLES
    return Expression(source, program, read, fields_read(source, read, local))


def _syntax_error(text: str, field: str) -> ValidationError:
    match = _POSITION.search(text)
    if match is None:
        return ValidationError(f"{field}: {text.splitlines()[0]}", code="invalid_expression", field=field)
    line, column, message = int(match[1]), int(match[2]), match[3]
    return ValidationError(
        f"{field}: line {line}, column {column}: {message}",
        code="invalid_expression", field=field, details={"line": line, "column": column},
    )


_WORD = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)(?:\s*\.\s*(?P<field>[A-Za-z_]\w*))?")


def fields_read(source: str, names: frozenset[str], local: frozenset[str]) -> dict[str, frozenset[str] | None]:
    """For each of ``names`` the expression reads, the fields it selects of it (``asset.labels``
    → ``labels``), or None when it reads the value otherwise (``asset["name"]``, ``size(asset)``)
    or a comprehension's variable of the same name may hide it."""
    found: dict[str, set[str] | None] = {}
    code = "".join(
        '""' if token["string"] is not None else token.group(0) for token in _STRINGS_OR_REST.finditer(source)
    )
    for match in _WORD.finditer(code):
        name = match["name"]
        if name not in names:
            continue
        if name in local or match["field"] is None:
            found[name] = None
            continue
        selected = found.setdefault(name, set())
        if selected is not None:
            selected.add(match["field"])
    return {name: None if value is None else frozenset(value) for name, value in found.items()}


def _comprehension_variables(source: str, field: str) -> frozenset[str]:
    """The variables comprehensions bind; raises ValidationError for a comprehension inside
    another's arguments (unbounded cost)."""
    bound: set[str] = set()
    stack: list[bool] = []  # per open bracket: whether it opened a comprehension's arguments
    for token in _TOKEN.finditer(source):
        if token["string"] is not None:
            continue
        if token["macro"] is not None:
            is_macro = token["name"] in MACROS
            if is_macro and any(stack):
                raise ValidationError(
                    f"{field}: a comprehension ({token['name']}) inside another one is not allowed: its cost would "
                    "grow with the product of the lists' sizes", code="invalid_expression", field=field,
                )
            stack.append(is_macro)
            if is_macro and token["var"]:
                bound.add(token["var"])
        elif token["open"] is not None:
            stack.append(False)
        elif token["close"] is not None and stack:
            stack.pop()
    return frozenset(bound)
