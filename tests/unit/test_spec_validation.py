"""Spec validation: one JSON Schema per kind, errors that name the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from llm_registry.assets.schema_errors import json_path
from llm_registry.assets.validation import spec_schema, validate_spec
from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError

REALISTIC: dict[Kind, dict[str, Any]] = {
    Kind.MODEL: {
        "architecture": "llama",
        "parameters": 8030000000,
        "context_length": 8192,
        "quantization": "bf16",
        "format": "safetensors",
        "base_model": "model:meta/llama-3-8b@^3.0",
        "languages": ["en", "fr"],
        "modalities": ["text"],
        "card": "# Support fine-tune\n\nAnswers customer questions.",
        "training": {"epochs": 3, "lr": 2e-5},
    },
    Kind.DATASET: {
        "format": "jsonl",
        "rows": 120000,
        "splits": {"train": {"rows": 100000}, "test": {"rows": 20000, "seed": 7}},
        "schema": {"question": "string", "answer": "string"},
        "languages": ["en"],
        "card": "Support tickets, anonymised.",
        "collected": "2024-Q3",
    },
    Kind.PROMPT: {
        "messages": [
            {"role": "system", "content": "You help with {{ product }}."},
            {"role": "user", "content": "{{ question }}"},
        ],
        "variables": {
            "type": "object",
            "required": ["question"],
            "properties": {"product": {"type": "string", "default": "Acme"}, "question": {"type": "string"}},
        },
        "output_schema": {"type": "object", "properties": {"answer": {"type": "string"}}},
        "parameters": {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 512, "top_p": 0.9, "stop": ["###"]},
        "card": "Support assistant prompt.",
        "owner_team": "nlp",
    },
    Kind.PIPELINE: {
        "steps": [
            {"name": "retrieve", "uses": "dataset:acme/kb@^2", "with": {"k": 5}},
            {"name": "answer", "uses": "prompt:acme/support@1.0.0", "retries": 2},
        ],
        "card": "RAG over the knowledge base.",
        "schedule": "daily",
    },
    Kind.POLICY: {
        "rules": [
            {
                "name": "license-required",
                "when": "asset.labels.license != ''",
                "effect": "deny",
                "message": "every asset needs a license",
                "applies_to": {"kinds": ["model", "dataset"]},
            },
            {"name": "prod-approval", "when": "operation.alias == 'production'", "effect": "require_approval"},
        ],
        "owner": "governance",
    },
    Kind.TEST_SUITE: {
        "cases": [{"input": "What is 2+2?", "expected": "4"}, {"input": {"question": "Capital of France?"}}],
        "scorers": [{"name": "exact", "type": "exact_match", "threshold": 0.9}, {"name": "judge"}],
        "card": "Arithmetic and geography smoke tests.",
        "tier": "smoke",
    },
}


def invalid(kind: Kind, spec: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_spec(kind, spec)
    return info.value


@pytest.mark.parametrize("kind", list(Kind))
def test_schema_of_every_kind_is_a_valid_draft_2020_12_schema(kind: Kind) -> None:
    Draft202012Validator.check_schema(spec_schema(kind))


@pytest.mark.parametrize("kind", list(Kind))
def test_realistic_spec_is_accepted_and_kept_as_given(kind: Kind) -> None:
    spec = copy.deepcopy(REALISTIC[kind])
    validate_spec(kind, spec)
    assert spec == REALISTIC[kind]


@pytest.mark.parametrize("kind", list(Kind))
def test_spec_that_is_not_an_object_is_refused_at_spec(kind: Kind) -> None:
    error = invalid(kind, ["not", "an", "object"])
    assert (error.code, error.field) == ("invalid_spec", "spec")
    assert "object" in error.message


@pytest.mark.parametrize(
    ("kind", "change", "field", "words"),
    [
        (Kind.MODEL, {"context_length": "8k"}, "spec.context_length", "integer"),
        (Kind.MODEL, {"context_length": True}, "spec.context_length", "boolean"),
        (Kind.MODEL, {"parameters": 0}, "spec.parameters", "≥ 1"),
        (Kind.MODEL, {"languages": ["en", 3]}, "spec.languages[1]", "string"),
        (Kind.DATASET, {"rows": -1}, "spec.rows", "≥ 0"),
        (Kind.DATASET, {"splits": {"train": {"rows": "many"}}}, "spec.splits.train.rows", "integer"),
        (Kind.DATASET, {"splits": [{"rows": 10}]}, "spec.splits[0].name", "required"),
        (Kind.PROMPT, {"parameters": "hot"}, "spec.parameters", "object"),
        (Kind.PROMPT, {"parameters": {"temperature": 3}}, "spec.parameters.temperature", "≤ 2"),
        (Kind.PROMPT, {"parameters": {"max_tokens": 0}}, "spec.parameters.max_tokens", "≥ 1"),
        (Kind.PROMPT, {"messages": [{"role": "bot", "content": "hi"}]}, "spec.messages[0].role", "system"),
        (Kind.PROMPT, {"messages": [{"role": "user"}]}, "spec.messages[0].content", "required"),
        (Kind.PROMPT, {"messages": []}, "spec.messages", "at least 1"),
        (Kind.PROMPT, {"variables": {"type": "array"}}, "spec.variables.type", '"object"'),
        (Kind.PROMPT, {"variables": {"properties": {}}}, "spec.variables.type", "required"),
        (
            Kind.PROMPT,
            {"variables": {"type": "object", "properties": {"question": {"type": "strng"}}}},
            "spec.variables.properties.question.type",
            "string",
        ),
        (
            Kind.PROMPT,
            {"variables": {"type": "object", "properties": {"question": {"type": "string", "pattern": "(["}}}},
            "spec.variables.properties.question.pattern",
            "regex",
        ),
        (Kind.PIPELINE, {"steps": []}, "spec.steps", "at least 1"),
        (Kind.PIPELINE, {"steps": [{"name": "a"}, {"uses": "model:x/y"}]}, "spec.steps[1].name", "required"),
        (Kind.PIPELINE, {"steps": [{"name": "a", "with": []}]}, "spec.steps[0].with", "object"),
        (
            Kind.POLICY,
            {"rules": [{"name": "r", "when": "true", "effect": "block"}]},
            "spec.rules[0].effect",
            "deny",
        ),
        (Kind.POLICY, {"rules": [{"name": "r", "effect": "warn"}]}, "spec.rules[0].when", "required"),
        (Kind.TEST_SUITE, {"cases": [{"expected": "4"}]}, "spec.cases[0].input", "required"),
        (Kind.TEST_SUITE, {"scorers": [{"name": "s", "threshold": "high"}]}, "spec.scorers[0].threshold", "number"),
    ],
)
def test_wrong_field_is_named_by_its_path(kind: Kind, change: dict[str, Any], field: str, words: str) -> None:
    error = invalid(kind, {**REALISTIC[kind], **change})
    assert error.code == "invalid_spec"
    assert error.field == field
    assert error.message.startswith(f"{field}: ")
    assert words in error.message


def test_policy_without_rules_is_refused() -> None:
    error = invalid(Kind.POLICY, {"owner": "governance"})
    assert (error.code, error.field) == ("invalid_spec", "spec.rules")


def test_error_choice_is_deterministic() -> None:
    spec = {"context_length": "long", "parameters": -5, "languages": "en"}
    fields = {invalid(Kind.MODEL, spec).field for _ in range(5)}
    assert len(fields) == 1


def test_prompt_needs_template_or_messages() -> None:
    error = invalid(Kind.PROMPT, {"variables": {"type": "object"}})
    assert (error.code, error.field) == ("invalid_spec", "spec")
    assert "template" in error.message
    assert "messages" in error.message


def test_prompt_refuses_both_template_and_messages() -> None:
    error = invalid(Kind.PROMPT, {"template": "hi", "messages": [{"role": "user", "content": "hi"}]})
    assert (error.code, error.field) == ("invalid_spec", "spec")
    assert "exactly one of template or messages" in error.message


def test_prompt_with_template_only_is_accepted() -> None:
    validate_spec(
        Kind.PROMPT, {"template": "Summarise:\n{{ text }}", "variables": {"type": "object", "properties": {"text": {}}}}
    )


def test_prompt_spec_is_checked_for_undeclared_variables() -> None:
    error = invalid(Kind.PROMPT, {"template": "Hello {{ name }}"})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "name" in error.message


def test_json_path_quotes_keys_that_are_not_identifiers() -> None:
    assert json_path("spec", ["splits", "dev-2024", "rows", 0]) == 'spec.splits["dev-2024"].rows[0]'
