"""docs/api.md lists every route of the core REST API (the OpenAPI document is the reference)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

DOCS = Path(__file__).resolve().parents[2] / "docs"
CORE_TAGS = {"assets", "versions", "aliases", "resolve", "prompts", "events", "health"}


def test_every_core_route_is_in_the_api_doc(app: FastAPI) -> None:
    text = (DOCS / "api.md").read_text()
    documented = {(m, p.split("?")[0]) for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)", text)}
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items()
              for method, operation in item.items() if set(operation.get("tags", ())) & CORE_TAGS}
    missing = sorted(f"{m} {p}" for m, p in routes - documented)
    assert not missing, f"docs/api.md does not list: {', '.join(missing)}"


def test_docs_link_each_other() -> None:
    for name, links in {"server.md": ["api.md", "remote.md", "settings.md"], "api.md": ["server.md", "errors.md"],
                        "remote.md": ["server.md", "python-api.md"]}.items():
        text = (DOCS / name).read_text()
        for link in links:
            assert f"({link})" in text, f"{name} does not link {link}"
        assert "/openapi.json" in (DOCS / "api.md").read_text()
