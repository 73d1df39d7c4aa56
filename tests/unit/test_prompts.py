"""Prompt templates: the registration check and sandboxed rendering."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from llm_registry.assets.templates import check_prompt_spec, render_prompt
from llm_registry.errors import ValidationError

SUPPORT: dict[str, Any] = {
    "template": (
        "Answer as a {{ tone }} agent for {{ product }}.\n"
        "{% if history %}History:\n{% for turn in history %}- {{ turn }}\n{% endfor %}{% endif %}"
        "Question: {{ question }}"
    ),
    "variables": {
        "type": "object",
        "required": ["product", "question"],
        "additionalProperties": False,
        "properties": {
            "product": {"type": "string"},
            "question": {"type": "string", "minLength": 1},
            "tone": {"type": "string", "enum": ["friendly", "formal"], "default": "friendly"},
            "history": {"type": "array", "items": {"type": "string"}, "default": []},
            "count": {"type": "integer"},
        },
    },
}

CHAT: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": "You are a {{ tone }} assistant."},
        {"role": "user", "content": "{{ question }}"},
    ],
    "variables": {
        "type": "object",
        "properties": {"tone": {"type": "string", "default": "concise"}, "question": {"type": "string"}},
        "required": ["question"],
    },
}


def declared(*names: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {} for name in names}}


def check_error(spec: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_prompt_spec(spec)
    return info.value


def render_error(spec: dict[str, Any], variables: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        render_prompt(spec, variables)
    return info.value


# --- check at registration ---------------------------------------------------------------------


def test_declared_variables_pass() -> None:
    check_prompt_spec(SUPPORT)
    check_prompt_spec(CHAT)


def test_undeclared_variables_are_refused_and_named_sorted() -> None:
    error = check_error({"template": "{{ zeta }} {{ alpha }} {{ known }}", "variables": declared("known")})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "alpha, zeta" in error.message
    assert "known" not in error.message


def test_prompt_without_variables_declares_none() -> None:
    error = check_error({"template": "Hi {{ name }}"})
    assert "name" in error.message


def test_undeclared_variable_in_a_message_names_that_message() -> None:
    spec = {"messages": [{"role": "system", "content": "ok"}, {"role": "user", "content": "{{ q }}"}]}
    error = check_error(spec)
    assert (error.code, error.field) == ("invalid_template", "spec.messages[1].content")
    assert "q" in error.message


def test_loop_set_and_conditional_names_are_not_undeclared() -> None:
    template = (
        "{% set header = 'Items' %}{{ header }}\n"
        "{% for item in items %}{{ loop.index }}. {{ item.name }}{% if not loop.last %}, {% endif %}{% endfor %}\n"
        "{% if verbose %}{% for k, v in extra.items() %}{{ k }}={{ v }}{% endfor %}{% endif %}"
        "{% macro shout(s) %}{{ s | upper }}{% endmacro %}{{ shout('done') }}"
    )
    check_prompt_spec({"template": template, "variables": declared("items", "verbose", "extra")})


def test_syntax_error_is_refused_with_its_line() -> None:
    error = check_error({"template": "line one\n{% for x in xs %}{{ x }}\n", "variables": declared("xs")})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "line " in error.message
    assert "syntax error" in error.message


def test_syntax_error_line_number_is_the_faulty_line() -> None:
    error = check_error({"template": "a\nb\n{{ x + }}", "variables": declared("x")})
    assert "line 3" in error.message


def test_internal_attribute_is_refused_at_registration() -> None:
    error = check_error({"template": "{{ ''.__class__.__mro__ }}"})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "internal attribute '__" in error.message


# --- rendering ---------------------------------------------------------------------------------


def test_render_text_with_defaults_conditionals_and_loops() -> None:
    variables = {"product": "Acme", "question": "Where is my order?", "history": ["hello", "hi"]}
    before = copy.deepcopy(variables)
    result = render_prompt(SUPPORT, variables)
    assert result == {
        "text": "Answer as a friendly agent for Acme.\nHistory:\n- hello\n- hi\nQuestion: Where is my order?"
    }
    assert variables == before


def test_render_applies_defaults_without_mutating_input() -> None:
    variables = {"product": "Acme", "question": "Q?"}
    result = render_prompt(SUPPORT, variables)
    assert result["text"] == "Answer as a friendly agent for Acme.\nQuestion: Q?"
    assert variables == {"product": "Acme", "question": "Q?"}


def test_given_value_overrides_default() -> None:
    result = render_prompt(SUPPORT, {"product": "Acme", "question": "Q?", "tone": "formal"})
    assert result["text"].startswith("Answer as a formal agent")


def test_render_messages() -> None:
    result = render_prompt(CHAT, {"question": "What is CEL?"})
    assert result == {
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "What is CEL?"},
        ]
    }


def test_enum_violation_names_the_variable() -> None:
    error = render_error(SUPPORT, {"product": "Acme", "question": "Q?", "tone": "rude"})
    assert (error.code, error.field) == ("invalid_variables", "variables.tone")
    assert "friendly" in error.message


def test_type_violation_names_the_variable() -> None:
    error = render_error(SUPPORT, {"product": "Acme", "question": "Q?", "count": "three"})
    assert (error.code, error.field) == ("invalid_variables", "variables.count")
    assert "integer" in error.message


def test_nested_violation_names_the_item() -> None:
    error = render_error(SUPPORT, {"product": "Acme", "question": "Q?", "history": ["ok", 2]})
    assert (error.code, error.field) == ("invalid_variables", "variables.history[1]")


def test_missing_required_variable_is_named() -> None:
    error = render_error(SUPPORT, {"product": "Acme"})
    assert (error.code, error.field) == ("invalid_variables", "variables.question")
    assert "required" in error.message


def test_unknown_variable_refused_when_schema_forbids_extras() -> None:
    error = render_error(SUPPORT, {"product": "Acme", "question": "Q?", "colour": "red"})
    assert (error.code, error.field) == ("invalid_variables", "variables.colour")


def test_unknown_variable_allowed_when_schema_allows_extras() -> None:
    assert render_prompt(CHAT, {"question": "Q", "unused": 1})["messages"][1]["content"] == "Q"


def test_variables_that_are_not_an_object_are_refused() -> None:
    error = render_error(CHAT, ["question"])
    assert (error.code, error.field) == ("invalid_variables", "variables")


def test_optional_variable_left_undefined_is_a_template_error() -> None:
    spec = {"template": "{{ name }}", "variables": declared("name")}
    error = render_error(spec, {})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "name" in error.message


def test_is_defined_handles_optional_variables() -> None:
    spec = {"template": "Hi{% if name is defined %} {{ name }}{% endif %}!", "variables": declared("name")}
    assert render_prompt(spec, {}) == {"text": "Hi!"}
    assert render_prompt(spec, {"name": "Ada"}) == {"text": "Hi Ada!"}


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ x.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ (x|attr('__class__')) }}",
        "{{ x.mro() }}",
    ],
)
def test_sandbox_refuses_internals(template: str) -> None:
    # Rendered without the registration check, as a spec stored before a rule change would be.
    error = render_error({"template": template, "variables": declared("x")}, {"x": "text"})
    assert (error.code, error.field) == ("invalid_template", "spec.template")


def test_sandbox_refuses_mutating_given_values() -> None:
    spec = {"template": "{{ items.append(4) }}{{ items }}", "variables": declared("items")}
    items = [1, 2, 3]
    error = render_error(spec, {"items": items})
    assert error.code == "invalid_template"
    assert items == [1, 2, 3]


def test_runtime_error_in_template_is_a_template_error() -> None:
    error = render_error({"template": "{{ 1 / n }}", "variables": declared("n")}, {"n": 0})
    assert (error.code, error.field) == ("invalid_template", "spec.template")
    assert "ZeroDivisionError" in error.message


def test_unusable_variables_schema_is_a_spec_error_not_a_crash() -> None:
    spec = {"template": "{{ x }}", "variables": {"type": "object", "properties": {"x": {"anyOf": [{"type": "text"}]}}}}
    error = render_error(spec, {"x": "a"})
    assert (error.code, error.field) == ("invalid_spec", "spec.variables")


def test_trailing_newline_is_kept() -> None:
    assert render_prompt({"template": "{{ a }}\n", "variables": declared("a")}, {"a": "x"}) == {"text": "x\n"}
