"""docs/python-api.md describes the Python API there is: the reference section is what the
``Registry`` protocol declares, and the export list is ``llm_registry.__all__``."""

from __future__ import annotations

import importlib
import inspect
import re

import llm_registry
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.remote import RemoteRegistry
from tests.docs import api_reference
from tests.docs.api_reference import PAGE, SECTION, public_methods


def test_the_reference_is_rendered_from_the_protocol() -> None:
    found = SECTION.search(PAGE.read_text(encoding="utf-8"))
    assert found, "docs/python-api.md has no reference section"
    assert found.group(0) == api_reference.render(), "docs/python-api.md is out of date: run ./scripts/api-docs"


def test_every_public_method_of_the_protocol_is_in_the_reference() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, function in public_methods():
        shown = "Registry.open" if name == "open" else f"registry.{name}"
        assert f"`{api_reference.signature(shown, function)}`" in text, f"{name} is not documented with its signature"


def test_the_implementations_add_no_public_method_of_their_own() -> None:
    declared = {name for name, _ in public_methods()} - {"open"}
    for implementation in (EmbeddedRegistry, RemoteRegistry):
        public = {name for name, value in vars(implementation).items()
                  if not name.startswith("_") and inspect.isfunction(value)}
        assert public == declared, f"{implementation.__name__}: {sorted(public ^ declared)}"


def test_all_is_exact() -> None:
    names = llm_registry.__all__
    assert names == sorted(names), "keep __all__ sorted"
    assert len(set(names)) == len(names)
    assert set(names) == {*llm_registry._EXPORTS, "__version__"}
    for name in names:
        assert getattr(llm_registry, name) is not None, name


def test_the_exports_are_documented() -> None:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## What `llm_registry` exports", 1)[1].split("\n## ", 1)[0]
    listed = section.split("The other models", 1)[0]
    documented = set(re.findall(r"`(\w+)`", listed)) - {"llm_registry"}
    assert documented == set(llm_registry.__all__), f"differs: {sorted(documented ^ set(llm_registry.__all__))}"


def test_every_model_a_method_answers_is_exported_or_located() -> None:
    text = PAGE.read_text(encoding="utf-8")
    others = text.split("The other models", 1)[1].split("\n\n", 1)[0]
    modules = [importlib.import_module(name) for name in re.findall(r"`(llm_registry[\w.]+)`", others)]
    located = {name for name in re.findall(r"`(\w+)`", others) if any(hasattr(m, name) for m in modules)}
    named = set(re.findall(r"`(\w+)`", others)) - {m.__name__.rsplit(".", 1)[-1] for m in modules}
    assert named <= located | {"llm_registry"}, f"not found where the page says: {sorted(named - located)}"
    answered = {word for _, function in public_methods()
                for word in re.findall(r"[A-Z]\w+", str(inspect.signature(function).return_annotation))}
    answered -= {"Any", "None"}
    missing = answered - located - set(llm_registry.__all__)
    assert not missing, f"docs/python-api.md says neither how to import nor where to find: {sorted(missing)}"
