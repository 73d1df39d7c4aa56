"""The trust routes, commands and codes are documented: docs/api.md lists every route,
docs/integrity.md has its sections and names every refusal, docs/security.md the permission."""

from __future__ import annotations

import re
from pathlib import Path

from llm_registry.accounts.permissions import PERMISSIONS
from llm_registry.api.rest.app import create_app
from llm_registry.errors import ERROR_CODES
from llm_registry.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
TAGS = {"signatures", "provenance", "signers"}
TRUST_CODES = list(ERROR_CODES)[list(ERROR_CODES).index("invalid_key"):]


def test_every_trust_route_is_in_the_api_doc(tmp_path: Path) -> None:
    app = create_app(Settings(url=str(tmp_path / "registry"), no_auth=True))
    try:
        paths = app.openapi()["paths"]
    finally:
        app.state.store.close()
    routes = {(method.upper(), path) for path, item in paths.items() for method, operation in item.items()
              if set(operation.get("tags", ())) & TAGS}
    assert len(routes) == 9
    text = (DOCS / "api.md").read_text()
    documented = {(m, p.split("?")[0]) for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)", text)}
    assert not sorted(routes - documented), f"docs/api.md does not list {sorted(routes - documented)}"


def test_the_integrity_doc_has_its_sections_and_codes() -> None:
    text = (DOCS / "integrity.md").read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert {"Signatures", "Provenance", "Trust policy"} <= set(headings)
    assert TRUST_CODES[-1] == "untrusted_signature"
    missing = [code for code in TRUST_CODES if f"`{code}`" not in text and code not in ("signer_not_found",
                                                                                      "signer_exists", "invalid_key")]
    assert not missing, f"docs/integrity.md never names {missing}"


def test_the_permission_is_in_the_security_doc() -> None:
    assert "signers:manage" in PERMISSIONS
    assert "| `signers:manage` | yes | — | — | — |" in (DOCS / "security.md").read_text()
