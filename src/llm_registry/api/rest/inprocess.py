"""A synchronous httpx transport into an ASGI app in this process (the app's own client).

``httpx.ASGITransport`` is async only; this one runs it on an event loop in a helper
thread, with the app's lifespan, so that a plain ``httpx.Client`` (and so
``RemoteRegistry``) talks to the real application without a socket:

    with InProcessTransport(create_app(settings)) as transport:
        registry = RemoteRegistry("http://registry.local", transport=transport)
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, ExitStack
from types import TracebackType
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp


class InProcessTransport(httpx.BaseTransport):
    """Sends each request through the ASGI app; ``close()`` runs the app's shutdown."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self._asgi = httpx.ASGITransport(app=app, client=client)
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None

    def start(self) -> InProcessTransport:
        """Start the event loop thread and the app's lifespan (done by the first request too)."""
        if self._portal is None:
            self._portal = self._stack.enter_context(start_blocking_portal())
            lifespan = getattr(getattr(self.app, "router", None), "lifespan_context", None)
            if lifespan is not None:
                context: AbstractAsyncContextManager[Any] = lifespan(self.app)
                self._stack.enter_context(self._portal.wrap_async_context_manager(context))
        return self

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        portal = self.start()._portal
        assert portal is not None
        body = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                                      extensions=request.extensions)
            response = await self._asgi.handle_async_request(forwarded)
            # Raw bytes: the client decodes any content-encoding (gzip) itself.
            content = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, content

        status, headers, content = portal.call(send)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)

    def close(self) -> None:
        """Run the app's shutdown and stop the thread; idempotent."""
        self._portal = None
        self._stack.close()

    def __enter__(self) -> InProcessTransport:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None = None, exc: BaseException | None = None,
                 tb: TracebackType | None = None) -> None:
        self.close()
