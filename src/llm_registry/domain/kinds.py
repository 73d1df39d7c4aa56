"""The six asset kinds and their plural forms in URLs."""

from __future__ import annotations

from enum import StrEnum

from llm_registry.errors import ValidationError


class Kind(StrEnum):
    MODEL = "model"
    DATASET = "dataset"
    PROMPT = "prompt"
    PIPELINE = "pipeline"
    POLICY = "policy"
    TEST_SUITE = "test_suite"

    @property
    def plural(self) -> str:
        """The URL collection name: ``models``, ``test-suites`` …"""
        return _PLURALS[self]

    @classmethod
    def from_plural(cls, plural: str) -> Kind:
        """The kind for a URL collection name; raises ValidationError for an unknown one."""
        for kind, value in _PLURALS.items():
            if value == plural:
                return kind
        raise ValidationError(
            f"unknown collection {plural!r}; expected one of {', '.join(_PLURALS.values())}",
            code="invalid_kind",
            field="kind",
        )


_PLURALS = {
    Kind.MODEL: "models",
    Kind.DATASET: "datasets",
    Kind.PROMPT: "prompts",
    Kind.PIPELINE: "pipelines",
    Kind.POLICY: "policies",
    Kind.TEST_SUITE: "test-suites",
}


def parse_kind(value: object, field: str = "kind") -> Kind:
    """The Kind named by ``value``; raises ValidationError (``invalid_kind``) otherwise."""
    if isinstance(value, Kind):
        return value
    if isinstance(value, str):
        try:
            return Kind(value)
        except ValueError:
            pass
    raise ValidationError(
        f"unknown kind {value!r}; expected one of {', '.join(k.value for k in Kind)}",
        code="invalid_kind",
        field=field,
    )
