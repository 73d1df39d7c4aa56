"""HTTP to one registry server, with its credentials: what the remote client and the CLI's
server commands share.

The bearer is the one given (a ``token``, else the ``token`` setting), used as it is; or else
the saved login of ``llm-registry login`` (``accounts.credentials``), renewed shortly before
it expires and, when the server refuses it anyway (a fake or skewed clock, a restarted server
with a key of its own), once more before the request is sent again, once. A problem answer
is raised as its RegistryError (``problems.error_from_response``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

import httpx
import orjson

from llm_registry.accounts.credentials import SavedLogin
from llm_registry.errors import StorageError, ValidationError
from llm_registry.problems import error_from_response
from llm_registry.settings import Settings

USER_AGENT = "llm-registry-python"


class ServerConnection:
    """Requests to the server at ``location``; ``transport`` or ``client`` replace httpx's network
    (a given ``client`` is left open on ``close``)."""

    def __init__(
        self,
        location: str,
        *,
        settings: Settings,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.location = location.rstrip("/")
        self.settings = settings
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._token: str | None = token or settings.token or None
        self._login = None if self._token else SavedLogin.find(self.location, timeout=settings.request_timeout)
        self._owns_client = client is None
        # Requests go over the network, through no transport or client given to this connection.
        self.direct = transport is None and client is None
        self._client = client or httpx.Client(transport=transport, timeout=settings.request_timeout)
        self._closed = False

    @property
    def has_credentials(self) -> bool:
        """Whether requests carry a bearer (a token, or a saved login)."""
        return self._token is not None or self._login is not None

    def _bearer(self) -> str | None:
        if self._login is not None:
            return self._login.token(self._client)
        return self._token

    def headers(self) -> dict[str, str]:
        """The headers every request carries, the bearer (renewed when due) included."""
        sent = dict(self._headers)
        bearer = self._bearer()
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        return sent

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
                timeout: float | None = None) -> httpx.Response:
        """The answer to one request; raises the RegistryError of a problem answer, and
        StorageError when the server cannot be reached."""
        headers = dict(self._headers)
        content = None
        if body is not None:
            try:
                content = orjson.dumps(body)
            except TypeError as exc:
                raise ValidationError(f"the document cannot be sent as JSON: {exc}", code="invalid_manifest") from None
            headers["Content-Type"] = "application/json"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        bearer = self._bearer()
        response = self._send(method, path, query, content, headers, bearer, timeout)
        if response.status_code == 401 and self._login is not None and bearer is not None:
            # Refused although fresh by our clock: renew (or take what another process renewed)
            # and try this request once more.
            bearer = self._login.renew(bearer, self._client)
            response = self._send(method, path, query, content, headers, bearer, timeout)
        if response.status_code >= 400 or _held(response):
            raise error_from_response(response)
        return response

    def stream(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
               content: bytes | Iterable[bytes] | None = None, headers: Mapping[str, str] | None = None,
               allowed: Container[int] = ()) -> httpx.Response:
        """The answer to one request whose body (``content``: bytes, or chunks sent as they come)
        and answer stream: read the answer, then close it. Raises like ``request``, except for a
        status in ``allowed`` (a HEAD's 404); a refused bearer is not renewed and sent again
        (a body of chunks cannot be sent twice)."""
        sent = {**self._headers, **(headers or {})}
        bearer = self._bearer()
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            request = self._client.build_request(method, self.location + path, params=query, content=content,
                                                 headers=sent)
            response = self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise StorageError(f"cannot reach the registry at {self.location}: {exc}",
                               code="storage_unavailable") from None
        if response.status_code >= 400 and response.status_code not in allowed:
            try:
                response.read()
            finally:
                response.close()
            raise error_from_response(response)
        return response

    def _send(self, method: str, path: str, query: dict[str, Any], content: bytes | None, headers: dict[str, str],
              bearer: str | None, timeout: float | None) -> httpx.Response:
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            return self._client.request(method, self.location + path, params=query, content=content, headers=headers,
                                        timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.TransportError as exc:
            raise StorageError(f"cannot reach the registry at {self.location}: {exc}",
                               code="storage_unavailable") from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._owns_client:
                self._client.close()


def _held(response: httpx.Response) -> bool:
    """A 202 problem answer: a policy holds the change for an approval (``approval_required``)."""
    return response.status_code == 202 and response.headers.get("content-type", "").startswith(
        "application/problem+json"
    )
