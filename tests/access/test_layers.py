"""The REST API's modules import each other one way: no module of api/rest is part of an import
circle (counting imports inside functions, which only hide a circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import llm_registry.api.rest as rest_package

PACKAGE = "llm_registry.api.rest"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    folder = Path(rest_package.__file__).parent
    modules = {f"{PACKAGE}.{path.stem}": path for path in folder.glob("*.py") if path.stem != "__init__"}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_import_circle_in_the_rest_api() -> None:
    graph = _graph()
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in path:
                circles.append([*path[path.index(imported):], imported])
            elif len(path) < len(graph):
                visit(imported, [*path, imported])

    for module in sorted(graph):
        visit(module, [module])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles[:5])


def test_the_authenticator_knows_no_router() -> None:
    imported = _graph()[f"{PACKAGE}.security"]
    routers = {f"{PACKAGE}.{name}" for name in ("auth", "users", "api_keys", "audit")}
    assert not imported & routers
