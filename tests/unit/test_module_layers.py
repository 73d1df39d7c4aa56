"""Modules that build on one another import in one direction: no import cycle runs through them.

The graph is read from the source (every ``import`` statement, also those inside functions, which
is where a cycle usually hides), so a deferred import that closes a loop fails here too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import llm_registry

PACKAGE = Path(llm_registry.__file__).parent


@cache
def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["llm_registry", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported_names(source: str) -> set[str]:
    """Every dotted name an import statement anywhere in ``source`` names (``from a import b`` gives a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@cache
def imports_of(module: str) -> frozenset[str]:
    """The package modules ``module`` imports."""
    names = imported_names(_modules()[module].read_text("utf-8"))
    return frozenset(name for name in names if name in _modules() and name != module)


def cycle_through(module: str) -> list[str] | None:
    """A path of imports from ``module`` back to itself, or None."""
    paths = {module: [module]}
    todo = [module]
    while todo:
        current = todo.pop()
        for imported in sorted(imports_of(current)):
            if imported == module:
                return [*paths[current], module]
            if imported not in paths:
                paths[imported] = [*paths[current], imported]
                todo.append(imported)
    return None


def test_the_import_reader_sees_imports_inside_functions() -> None:
    source = "import a.b\n\ndef f():\n    from c import d\n    from . import e\n"
    assert imported_names(source) == {"a.b", "c", "c.d"}  # relative imports: the package uses none


# Spec validation runs the prompt check; prompt rendering reports schema errors as validation does.
VALIDATION = ["llm_registry.assets.schema_errors", "llm_registry.assets.validation", "llm_registry.assets.templates"]


@pytest.mark.parametrize(
    "module", sorted(name for name in _modules() if name.startswith("llm_registry.domain.")) + VALIDATION
)
def test_no_import_cycle_runs_through_the_module(module: str) -> None:
    assert cycle_through(module) is None
