"""Asset names (``namespace/name``) and alias names."""

from __future__ import annotations

import re
from typing import NamedTuple

from llm_registry.domain.patterns import ALIAS, NAME_PART, NOT_ALIASES
from llm_registry.errors import ValidationError

DEFAULT_NAMESPACE = "default"
_PART = re.compile(NAME_PART)
# Alias names start with a letter so that they never read as a version or a range;
# a lone "x" is the wildcard range, not an alias.
_ALIAS = re.compile(ALIAS)


class AssetName(NamedTuple):
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_name(value: object, *, default_namespace: str = DEFAULT_NAMESPACE, field: str = "name") -> AssetName:
    """``namespace/name`` or ``name`` (in the default namespace); raises ValidationError (``invalid_name``)."""
    if not isinstance(value, str):
        raise ValidationError(f"name must be a string, got {type(value).__name__}", code="invalid_name", field=field)
    parts = value.split("/")
    if len(parts) == 1:
        parts = [default_namespace, parts[0]]
    if len(parts) != 2:
        raise ValidationError(f"invalid name {value!r}: expected 'namespace/name'", code="invalid_name", field=field)
    for label, part in zip(("namespace", "name"), parts, strict=True):
        if not _PART.fullmatch(part):
            raise ValidationError(
                f"invalid {label} {part!r} in {value!r}: lowercase letters, digits, '.', '_' and '-',"
                " starting with a letter or digit, at most 64 characters",
                code="invalid_name",
                field=field,
            )
    return AssetName(parts[0], parts[1])


def validate_namespace(value: str, field: str = "namespace") -> str:
    """The namespace itself; raises ValidationError (``invalid_name``) when it breaks the rules."""
    if not _PART.fullmatch(value):
        raise ValidationError(f"invalid namespace {value!r}", code="invalid_name", field=field)
    return value


def is_alias_name(value: str) -> bool:
    return value not in NOT_ALIASES and bool(_ALIAS.fullmatch(value))


def parse_alias(value: object, field: str = "alias") -> str:
    """An alias name; raises ValidationError (``invalid_alias``)."""
    if not isinstance(value, str) or not is_alias_name(value):
        raise ValidationError(
            f"invalid alias {value!r}: a lowercase letter, then letters, digits, '.', '_' or '-'",
            code="invalid_alias",
            field=field,
        )
    return value
