"""``/docs``: Swagger UI over ``/openapi.json``, served from the package so it works offline.

The assets are Swagger UI's own distribution (``static/swagger-ui``: the npm package
swagger-ui-dist, its version in ``VERSION``, its LICENSE beside it), served under
``/docs/assets/``. The page loads nothing from another host, and says so to the browser: its
Content-Security-Policy allows scripts, styles, fonts and requests from the app's own origin
only (``data:`` images are Swagger UI's inline icons). The page and its assets are outside the
route table of ``security.ROUTE_PERMISSIONS``: they hold nothing of the registry, and the
document they show is public (``/openapi.json``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS = Path(str(resources.files("llm_registry.api.rest").joinpath("static", "swagger-ui")))
SWAGGER_UI_VERSION = (ASSETS / "VERSION").read_text().strip()
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
"""


class _Assets(StaticFiles):
    """The vendored files, with the page's security headers."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override,type-arg]
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        return response


def routes(title: str, openapi_url: str) -> list[BaseRoute]:
    """``GET /docs`` and ``/docs/assets/…``."""
    page = _PAGE.format(title=title, openapi_url=openapi_url)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page, headers=_HEADERS)

    return [
        Route("/docs", docs, methods=["GET"], include_in_schema=False),
        Mount("/docs/assets", app=_Assets(directory=ASSETS), name="docs-assets"),
    ]
