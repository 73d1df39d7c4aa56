"""The filter language of §2.3, parsed by hand into a small tree.

    expr       := or
    or         := and ("OR" and)*
    and        := unary ("AND" unary)*
    unary      := "NOT" unary | "(" expr ")" | comparison
    comparison := field op value | field ["NOT"] "IN" "(" value ("," value)* ")"
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~"
    field      := kind | namespace | name | version | status | license | description | tags
                | created_at | updated_at | spec.PATH | annotations.KEY | annotations."KEY"
    value      := "string" | 'string' | number | true | false | null | DATE | bare-word

Keywords are case-insensitive. Every error is a ValidationError ``invalid_filter`` on the
field ``filter`` whose message names the 1-based column; nothing else escapes the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from llm_registry.domain.times import format_time
from llm_registry.errors import ValidationError

MAX_LENGTH = 4096
MAX_NESTING = 32
MAX_IN_VALUES = 256

STRING_FIELDS = frozenset({"kind", "namespace", "name", "version", "status", "license", "description"})
NULLABLE_FIELDS = frozenset({"license", "description"})
TIME_FIELDS = frozenset({"created_at", "updated_at"})
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "~")
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN"})
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ANNOTATION_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?")
_WORD = re.compile(r"[A-Za-z0-9_.:/+*?-]+")
_SPACE = re.compile(r"\s+")

ValueType = Literal["string", "number", "bool", "null", "time"]


@dataclass(frozen=True, slots=True)
class Value:
    type: ValueType
    value: str | int | float | bool | None
    text: str
    column: int
    # For a bare date: the end of that day (exclusive), so "= 2026-01-02" means the whole day.
    day_end: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # a plain field, "spec" or "annotations"
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ".".join((self.name, *self.path))


@dataclass(frozen=True, slots=True)
class Comparison:
    field: Field
    op: str  # one of OPERATORS, or "in"
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Comparison | And | Or | Not


@dataclass(frozen=True, slots=True)
class _Token:
    type: str  # "(" ")" "," "op" "string" "word" "end"
    text: str
    column: int


def filter_error(message: str, column: int) -> ValidationError:
    return ValidationError(
        f"invalid filter: {message} at column {column}",
        code="invalid_filter",
        field="filter",
        details={"column": column},
    )


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        column = i + 1
        char = text[i]
        if char in "(),":
            out.append(_Token(char, char, column))
            i += 1
        elif char in "=!<>~":
            two = text[i : i + 2]
            if two in ("!=", "<=", ">="):
                out.append(_Token("op", two, column))
                i += 2
            elif char == "!":
                raise filter_error("'!' must be followed by '='", column)
            else:
                out.append(_Token("op", char, column))
                i += 1
        elif char in "\"'":
            i, value = _string(text, i)
            out.append(_Token("string", value, column))
        else:
            word = _WORD.match(text, i)
            if word is None:
                raise filter_error(f"unexpected character {char!r}", column)
            out.append(_Token("word", word.group(), column))
            i = word.end()
    out.append(_Token("end", "", len(text) + 1))
    return out


def _string(text: str, start: int) -> tuple[int, str]:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return i + 1, "".join(chars)
        chars.append(char)
        i += 1
    raise filter_error("unterminated string", start + 1)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.i]

    def keyword(self, word: str) -> bool:
        token = self.token
        return token.type == "word" and token.text.upper() == word

    def advance(self) -> _Token:
        token = self.token
        self.i += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        if self.token.type != kind:
            raise filter_error(f"expected {what}, found {_describe(self.token)}", self.token.column)
        return self.advance()

    def parse(self) -> Node:
        if self.token.type == "end":
            raise filter_error("the filter is empty", 1)
        node = self.or_()
        if self.token.type != "end":
            raise filter_error(f"expected AND, OR or the end, found {_describe(self.token)}", self.token.column)
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.keyword("OR"):
            self.advance()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.unary()]
        while self.keyword("AND"):
            self.advance()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise filter_error(f"nested deeper than {MAX_NESTING} levels", self.token.column)
        try:
            if self.keyword("NOT"):
                self.advance()
                return Not(self.unary())
            if self.token.type == "(":
                self.advance()
                node = self.or_()
                self.expect(")", "')'")
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Node:
        token = self.token
        if token.type != "word" or token.text.upper() in _KEYWORDS:
            raise filter_error(f"expected a field, found {_describe(token)}", token.column)
        self.advance()
        field = parse_field(token.text, token.column, self._quoted_key(token))
        negate = False
        if self.keyword("NOT"):
            self.advance()
            if not self.keyword("IN"):
                raise filter_error(f"expected IN after NOT, found {_describe(self.token)}", self.token.column)
            negate = True
        if self.keyword("IN"):
            self.advance()
            self.expect("(", "'(' after IN")
            values = [self.value()]
            while self.token.type == ",":
                self.advance()
                values.append(self.value())
            self.expect(")", "')' or ','")
            if len(values) > MAX_IN_VALUES:
                raise filter_error(f"IN takes at most {MAX_IN_VALUES} values", token.column)
            node: Node = _checked(field, "in", tuple(values), token.column)
            return Not(node) if negate else node
        op = self.expect("op", "an operator (= != < <= > >= ~ IN)")
        return _checked(field, op.text, (self.value(),), op.column)

    def _quoted_key(self, token: _Token) -> str | None:
        # annotations."acme.io/team": the word ends with a dot and a string follows at once.
        following = self.token
        adjacent = following.column == token.column + len(token.text)
        if token.text.endswith(".") and following.type == "string" and adjacent:
            self.advance()
            return following.text
        return None

    def value(self) -> Value:
        token = self.token
        if token.type == "string":
            self.advance()
            return Value("string", token.text, token.text, token.column)
        if token.type != "word" or token.text.upper() in _KEYWORDS:
            raise filter_error(f"expected a value, found {_describe(token)}", token.column)
        self.advance()
        return _word_value(token.text, token.column)


def _word_value(text: str, column: int) -> Value:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return Value("bool", lowered == "true", text, column)
    if lowered == "null":
        return Value("null", None, text, column)
    if _NUMBER.fullmatch(text):
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise filter_error(f"number out of range: {text}", column)
        exact = int(text) if re.fullmatch(r"-?\d+", text) else number
        return Value("number", exact, text, column)
    if _DATE.fullmatch(text) or _DATETIME.fullmatch(text):
        return _time_value(text, column)
    return Value("string", text, text, column)


def _time_value(text: str, column: int) -> Value:
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            end = start + timedelta(days=1) if day < date.max else start
            return Value("time", format_time(start), text, column, day_end=format_time(end))
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except (ValueError, OverflowError):
        raise filter_error(f"invalid date or time {text!r}", column) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return Value("time", format_time(moment), text, column)
    except (ValueError, OverflowError):
        raise filter_error(f"invalid date or time {text!r}", column) from None


def parse_field(text: str, column: int = 1, quoted_key: str | None = None) -> Field:
    """A field name as the filter and the facets name it; raises ``invalid_filter``."""
    head, dot, rest = text.partition(".")
    if head in STRING_FIELDS or head in TIME_FIELDS or head == "tags":
        if dot:
            raise filter_error(f"{head} has no sub-fields", column)
        return Field(head)
    if head == "spec" and dot:
        segments = rest.split(".")
        if quoted_key is not None and segments[-1] == "":
            segments[-1] = quoted_key
        if not all(_SEGMENT.fullmatch(s) for s in segments) or len(segments) > 16:
            raise filter_error(f"invalid spec path {text!r}", column)
        return Field("spec", tuple(segments))
    if head == "annotations" and dot:
        key = quoted_key if quoted_key is not None and rest == "" else rest
        if not _ANNOTATION_KEY.fullmatch(key):
            raise filter_error(f"invalid annotation key {key!r}", column)
        return Field("annotations", (key,))
    raise filter_error(
        f"unknown field {text!r}; expected one of kind, namespace, name, version, status, license, description,"
        " tags, created_at, updated_at, spec.PATH, annotations.KEY",
        column,
    )


def _checked(field: Field, op: str, values: tuple[Value, ...], column: int) -> Comparison:
    """The comparison, once its operator and value types suit the field."""
    name = field.name
    for value in values:
        if name in TIME_FIELDS:
            if op == "~":
                raise filter_error(f"{name} cannot be matched with ~", column)
            if value.type == "string":
                value = _time_value(value.text, value.column)
            if value.type != "time":
                raise filter_error(f"{name} compares with a date or time, not {value.text!r}", value.column)
        elif name == "tags":
            if op not in ("=", "!=", "~", "in"):
                raise filter_error("tags support =, !=, ~ and IN", column)
            if value.type not in ("string", "number", "time"):
                raise filter_error(f"a tag is text, not {value.text!r}", value.column)
        elif name in STRING_FIELDS:
            if value.type == "bool":
                raise filter_error(f"{name} is text, not {value.text!r}", value.column)
            if value.type == "null" and op not in ("=", "!=", "in"):
                raise filter_error("null compares only with = and !=", value.column)
        else:  # spec / annotations paths: typed by the literal
            if value.type in ("bool", "null") and op not in ("=", "!=", "in"):
                raise filter_error(f"{value.text} compares only with = and !=", value.column)
        if op == "~" and value.type not in ("string", "number", "time"):
            raise filter_error("~ needs a text pattern", value.column)
    if name in TIME_FIELDS:
        values = tuple(v if v.type == "time" else _time_value(v.text, v.column) for v in values)
    return Comparison(field, op, values)


def _describe(token: _Token) -> str:
    if token.type == "end":
        return "the end"
    return repr(token.text)


def parse_filter(text: str) -> Node:
    """The tree of a filter expression; raises ValidationError ``invalid_filter`` naming the column."""
    if len(text) > MAX_LENGTH:
        raise filter_error(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    return _Parser(text).parse()
