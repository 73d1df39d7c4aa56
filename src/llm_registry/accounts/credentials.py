"""The CLI's stored sessions: ``$XDG_CONFIG_HOME/llm-registry/credentials.json``, mode 0600.

One entry per server URL with its access and refresh tokens; ``token_for`` refreshes an
access token about to expire (and stores the rotated pair) before handing it out.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx

from llm_registry.errors import UnauthenticatedError

REFRESH_MARGIN_SECONDS = 30


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "llm-registry" / "credentials.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict[str, Any]) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created 0600 before anything is written, replaced atomically.
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def server_key(url: str) -> str:
    return url.rstrip("/")


def store_tokens(url: str, pair: dict[str, Any], username: str | None = None) -> None:
    data = _load()
    previous = data.get(server_key(url), {})
    data[server_key(url)] = {
        "username": username or previous.get("username"),
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "expires_at": time.time() + int(pair["expires_in"]),
    }
    _save(data)


def forget(url: str) -> dict[str, Any] | None:
    data = _load()
    entry = data.pop(server_key(url), None)
    _save(data)
    return entry if isinstance(entry, dict) else None


def token_for(url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> str | None:
    """A valid access token for ``url`` (refreshed when needed), or None when not logged in."""
    entry = _load().get(server_key(url))
    if not isinstance(entry, dict):
        return None
    if float(entry.get("expires_at", 0)) - time.time() > REFRESH_MARGIN_SECONDS:
        return str(entry["access_token"])
    with httpx.Client(base_url=server_key(url), transport=transport, timeout=timeout) as client:
        response = client.post("/v1/auth/refresh", json={"refresh_token": entry["refresh_token"]})
    if response.status_code != 200:
        forget(url)
        raise UnauthenticatedError(f"the session with {server_key(url)} has ended: run `llm-registry login` again")
    pair = response.json()
    store_tokens(url, pair)
    return str(pair["access_token"])
