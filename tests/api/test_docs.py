"""docs/api.md lists every route of the core REST API (the OpenAPI document is the reference)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from starlette.routing import Mount, Route

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


# A method and a path (`GET /v1/resolve?ref=`), a URL of the local server in an example, or a
# path alone in backticks (`/v1/search`, `/health`; `/v1/auth/...` is every path under it).
NAMED_ROUTE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(/[^\s`'\"|),]*)")
LOCAL_URL = re.compile(r"https?://127\.0\.0\.1:\d+(/[^\s`'\"]*)")
PATH_SPAN = re.compile(r"`(/v1/[^`\s]*|/[a-z][\w.-]*)`")


def documented_routes() -> list[tuple[str, str | None, str]]:
    """(page, method or None, path without its query) for every route the pages name."""
    from tests.docs.markdown import PAGES, page_name

    found: list[tuple[str, str | None, str]] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        named = [(m.group(1), m.group(2)) for m in NAMED_ROUTE.finditer(text)]
        bare = [(None, m.group(1)) for pattern in (LOCAL_URL, PATH_SPAN) for m in pattern.finditer(text)]
        found += [(page_name(page), method, _without_query(path)) for method, path in named + bare]
    return found


def _without_query(path: str) -> str:
    path = path.split("?")[0]
    return path if path.endswith(("...", "…")) else path.rstrip(".,:;")


def test_every_route_the_docs_name_exists(tmp_path: Path) -> None:
    from llm_registry.api.rest.app import create_app
    from llm_registry.settings import Settings

    # The whole app, access routes included (the `app` fixture authenticates its own way, without them).
    app = create_app(Settings.load({"url": str(tmp_path / "registry"), "no_auth": True}, environ={}))
    try:
        # Every route the app serves, those outside the OpenAPI document too (/openapi.json, /docs).
        served = {(method, route.path_format) for route in app.routes if isinstance(route, Route)
                  for method in route.methods or ()}
        served |= {("GET", f"{route.path}/{{path}}") for route in app.routes if isinstance(route, Mount)}
    finally:
        app.state.store.close()

    def template(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    def exists(method: str | None, path: str) -> bool:
        if path.endswith(("...", "…")):
            prefix = path.rstrip(".…")
            return any(template(p).startswith(template(prefix)) for _, p in served)
        wanted = template(path)
        for served_method, served_path in served:
            pattern = re.escape(template(served_path)).replace(r"\{\}", r"[^/]+")
            if method in (None, served_method) and re.fullmatch(pattern, wanted):
                return True
        return False

    documented = documented_routes()
    assert any(page == "docs/api.md" for page, _, _ in documented)
    missing = sorted({f"{page}: {method or ''} {path}".replace("  ", " ") for page, method, path in documented
                      if not exists(method, path)})
    assert not missing, "the docs name routes the server does not have:\n" + "\n".join(missing)
