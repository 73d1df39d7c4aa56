"""Saved logins: ``$XDG_CONFIG_HOME/llm-registry/credentials.json`` (default ``~/.config/…``), mode 0600.

One entry per server URL: the username, the access and refresh tokens, and when the access
token expires. ``llm-registry login`` writes it; the CLI and the Python client
(``Registry.open("http://…")`` without a token) read it through ``SavedLogin``, which hands out
the access token and renews it: shortly before it expires, and when the server refuses it.

A refresh token is spent by its use, and a spent one presented again ends the whole session.
So a renewal takes an exclusive lock (``credentials.lock`` beside the file), reads the stored
pair again, and refreshes only if nobody did meanwhile: two processes whose token expired at
the same moment make one refresh, and the second takes the pair the first stored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from llm_registry.domain.times import Clock, system_clock
from llm_registry.errors import StorageError, UnauthenticatedError
from llm_registry.problems import error_from_response

# Renew this long before the expiry (at most a quarter of a token's life, for short ones).
REFRESH_MARGIN_SECONDS = 30.0
_DEFAULT_TTL = 900


def credentials_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "llm-registry" / "credentials.json"


@contextmanager
def _locked() -> Iterator[None]:
    """Hold the credentials' lock (an advisory lock on ``credentials.lock``, which excludes other
    processes and other threads alike: each holder opens the file anew)."""
    path = credentials_path().with_name("credentials.lock")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock to take; concurrent renewals may end the session
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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


def _entry(url: str, data: dict[str, Any] | None = None) -> dict[str, Any] | None:
    entry = (data if data is not None else _load()).get(server_key(url))
    return entry if isinstance(entry, dict) and "access_token" in entry and "refresh_token" in entry else None


def _store(data: dict[str, Any], url: str, pair: dict[str, Any], username: str | None, now: float) -> None:
    previous = data.get(server_key(url), {})
    expires_in = int(pair["expires_in"])
    data[server_key(url)] = {
        "username": username or (previous.get("username") if isinstance(previous, dict) else None),
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "expires_in": expires_in,
        "expires_at": now + expires_in,
    }
    _save(data)


def store_tokens(url: str, pair: dict[str, Any], username: str | None = None, *, clock: Clock = system_clock) -> None:
    """Save the pair a login (or refresh) answered for ``url``."""
    with _locked():
        _store(_load(), url, pair, username, clock())


def forget(url: str) -> dict[str, Any] | None:
    """Remove the saved login of ``url``; the entry it had, or None."""
    with _locked():
        data = _load()
        entry = data.pop(server_key(url), None)
        _save(data)
    return entry if isinstance(entry, dict) else None


def _margin(entry: dict[str, Any]) -> float:
    return min(REFRESH_MARGIN_SECONDS, float(entry.get("expires_in", _DEFAULT_TTL)) / 4)


def _fresh(entry: dict[str, Any], now: float) -> bool:
    return float(entry.get("expires_at", 0)) - now > _margin(entry)


class SavedLogin:
    """The saved login of one server as a source of access tokens.

    Requests for the refresh go through ``client`` (the caller's, so that its transport and
    timeouts apply), else a client of this object's own.
    """

    def __init__(
        self, url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
        clock: Clock = system_clock,
    ) -> None:
        self.url = server_key(url)
        self.transport = transport
        self.timeout = timeout
        self.clock = clock
        self._entry: dict[str, Any] | None = None

    @classmethod
    def find(cls, url: str, **options: Any) -> SavedLogin | None:
        """The saved login of ``url``, or None when there is none."""
        login = cls(url, **options)
        return login if _entry(url) is not None else None

    def token(self, client: httpx.Client | None = None) -> str:
        """An access token not about to expire (renewed when it is); raises UnauthenticatedError
        when there is no saved login or its session has ended."""
        entry = self._entry
        if entry is None or not _fresh(entry, self.clock()):
            entry = _entry(self.url)
            if entry is None:
                raise self._ended("not logged in to")
            if not _fresh(entry, self.clock()):
                return self.renew(str(entry["access_token"]), client)
            self._entry = entry
        return str(entry["access_token"])

    def renew(self, rejected: str, client: httpx.Client | None = None) -> str:
        """A new access token after ``rejected`` expired or was refused: the stored one when
        another process already renewed it, else one from a refresh (the rotated pair is
        stored). Raises UnauthenticatedError when the session has ended (and forgets it)."""
        with _locked():
            data = _load()
            entry = _entry(self.url, data)
            if entry is None:
                self._entry = None
                raise self._ended("not logged in to")
            if entry["access_token"] != rejected and _fresh(entry, self.clock()):
                self._entry = entry
                return str(entry["access_token"])
            response = self._post_refresh(str(entry["refresh_token"]), client)
            if response.status_code == 401:
                data.pop(self.url, None)
                _save(data)
                self._entry = None
                raise self._ended("the session has ended with")
            if response.status_code != 200:
                raise error_from_response(response)  # the server's trouble: keep the session
            pair = response.json()
            _store(data, self.url, pair, None, self.clock())
            self._entry = data[self.url]
        return str(pair["access_token"])

    def _post_refresh(self, refresh_token: str, client: httpx.Client | None) -> httpx.Response:
        body = {"refresh_token": refresh_token}
        try:
            if client is not None:
                return client.post(self.url + "/v1/auth/refresh", json=body, timeout=self.timeout)
            with httpx.Client(transport=self.transport, timeout=self.timeout) as own:
                return own.post(self.url + "/v1/auth/refresh", json=body)
        except httpx.TransportError as exc:
            raise StorageError(f"cannot reach the registry at {self.url}: {exc}", code="storage_unavailable") from None

    def _ended(self, what: str) -> UnauthenticatedError:
        return UnauthenticatedError(f"{what} {self.url}: run `llm-registry login {self.url}`")


def token_for(url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> str | None:
    """A valid access token for ``url`` (renewed when needed), or None when not logged in."""
    login = SavedLogin.find(url, transport=transport, timeout=timeout)
    return login.token() if login is not None else None
