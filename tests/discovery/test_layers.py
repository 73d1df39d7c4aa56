"""The layers of search and lineage, read from their imports: contracts and services name no
SQLAlchemy type, services are given their stores rather than importing one, and no store
imports a service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import llm_registry

PACKAGE = Path(llm_registry.__file__).parent
DOMAINS = ("search", "lineage")
# Modules any transport or service may use: they must stay free of the storage backend.
PLAIN = ("interfaces", "services", "models", "cursors", "filters", "lockfiles", "formats")


def imports(path: Path) -> set[str]:
    """The absolute names a module imports (``from a import b`` gives ``a`` and ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(*stems: str) -> list[Path]:
    found = [p for domain in DOMAINS for p in sorted((PACKAGE / domain).glob("*.py"))]
    return [p for p in found if not stems or p.stem in stems]


def is_store(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith(("store_", "sql_"))


@pytest.mark.parametrize("path", modules(*PLAIN), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plain_modules_do_not_import_sqlalchemy(path: Path) -> None:
    assert not {n for n in imports(path) if n.split(".")[0] == "sqlalchemy"}


@pytest.mark.parametrize("path", modules("services"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_services_import_no_store(path: Path) -> None:
    assert not {n for n in imports(path) if is_store(n)}


@pytest.mark.parametrize("path", [p for p in modules() if is_store(p.stem)], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stores_import_no_service(path: Path) -> None:
    assert not {n for n in imports(path) if n.rsplit(".", 1)[-1] == "services" or ".services." in n}
