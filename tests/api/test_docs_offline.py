"""``/docs`` works offline: the page names only the app's own assets, each of which answers, and
its Content-Security-Policy lets the browser load nothing from another host."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from llm_registry.api.rest.docs import ASSETS, CONTENT_SECURITY_POLICY, SWAGGER_UI_VERSION
from tests.api.conftest import BASE_URL

TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def page_links(client: httpx.Client) -> list[str]:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = Links()
    parser.feed(response.text)
    return parser.urls


def test_the_page_names_only_its_own_assets(client: httpx.Client) -> None:
    urls = page_links(client)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/init.js", "/docs/assets/swagger-ui.css"} <= set(urls)
    for url in urls:
        absolute = urlsplit(urljoin(f"{BASE_URL}/docs", url))
        assert (absolute.scheme, absolute.netloc) == ("http", urlsplit(BASE_URL).netloc), url
    assert "//" not in client.get("/docs").text.replace("<!DOCTYPE html>", "").split("<body>")[0].replace(
        'charset="utf-8"', ""), "no protocol-relative or absolute URL in the head"


def test_every_asset_answers_with_its_type(client: httpx.Client) -> None:
    for url in page_links(client):
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rindex("."):]
        assert response.headers["content-type"].startswith(TYPES[suffix]), (url, response.headers["content-type"])
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.content


def test_the_policy_allows_only_the_apps_own_origin(client: httpx.Client) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert set(sources) <= {"'self'", "'none'", "'unsafe-inline'", "data:"}, directive
        if name == "script-src":
            assert sources == ["'self'"]  # no inline script, nothing from elsewhere


def test_the_vendored_bundle_is_whole() -> None:
    assert SWAGGER_UI_VERSION.count(".") == 2
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "init.js"):
        assert (ASSETS / name).stat().st_size > 0, name
    assert "Apache License" in (ASSETS / "LICENSE").read_text()
    assert "SwaggerUIBundle" in (ASSETS / "swagger-ui-bundle.js").read_text()[:2000]


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect", "/docs/assets/missing.js",
                                  "/docs/assets/../docs.py"])
def test_nothing_else_is_served(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_page_needs_no_credentials(tmp_path: object) -> None:
    """On a server requiring authentication, the page and its assets are public, as /openapi.json is."""
    from llm_registry.api.rest.app import create_app
    from llm_registry.api.rest.inprocess import InProcessTransport
    from tests.api.fuzzing import fuzz_settings

    app = create_app(fuzz_settings(f"{tmp_path}/registry"))
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url=BASE_URL) as anonymous:
        for url in ["/openapi.json", *page_links(anonymous)]:
            assert anonymous.get(url).status_code == 200, url
        assert anonymous.get("/v1/models").status_code == 401
