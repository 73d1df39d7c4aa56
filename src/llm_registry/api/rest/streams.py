"""Request and response bodies of any size, streamed between the event loop and the services.

The blob services are synchronous and write as they read; a request body arrives on the event
loop. ``consume_body`` hands the body to a service call running in a thread of its own, a
batch of about a megabyte at a time through a short queue: memory stays flat whatever the
size, the loop never waits on a disk, and hashing runs beside the loop on another core. A body
cut short (the client went away) reaches the service as ``BodyCutShort`` raised by its
iterator, so that it keeps nothing of it. ``stream_file`` sends a file-like's bytes the other
way, read in a thread a megabyte at a time.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, BinaryIO, TypeVar

import anyio
from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

R = TypeVar("R")
BATCH = 1 << 20  # bytes handed to the service at a time
DEPTH = 4  # batches that may wait for it
_END = object()


class BodyCutShort(Exception):
    """The request body ended before the request did (the client went away)."""


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail=f"the request body is larger than {limit} bytes")


async def consume_body(request: Request, consume: Callable[[Iterator[bytes]], R], *, limit: int) -> R:
    """``consume(chunks)`` run in a thread of its own over the request body, streamed; raises 413
    (HTTPException) as soon as the body passes ``limit`` bytes (the service is told the body was
    cut short, and so keeps nothing)."""
    loop = asyncio.get_running_loop()
    batches: asyncio.Queue[object] = asyncio.Queue(maxsize=DEPTH)
    abandoned = threading.Event()

    def chunks() -> Iterator[bytes]:
        while True:
            future = asyncio.run_coroutine_threadsafe(batches.get(), loop)
            while True:
                try:
                    item = future.result(timeout=1)
                    break
                except TimeoutError:
                    if abandoned.is_set():
                        future.cancel()
                        raise BodyCutShort from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, list)
            yield from item

    limiter: anyio.CapacityLimiter = request.app.state.waiting_threads
    call = functools.partial(contextvars.copy_context().run, functools.partial(consume, chunks()))
    consumer = asyncio.ensure_future(anyio.to_thread.run_sync(call, limiter=limiter))

    async def feed(item: object) -> bool:
        """Queue ``item``; False when the service stopped reading (it finished, or failed)."""
        put = asyncio.ensure_future(batches.put(item))
        done, _ = await asyncio.wait({put, consumer}, return_when=asyncio.FIRST_COMPLETED)
        if put in done:
            return True
        put.cancel()
        return False

    received = 0
    pending: list[bytes] = []
    pending_size = 0
    try:
        async for piece in request.stream():
            if not piece:
                continue
            received += len(piece)
            if received > limit:
                await feed(BodyCutShort())
                await _settled(consumer)
                raise too_large(limit)
            pending.append(piece)
            pending_size += len(piece)
            if pending_size >= BATCH:
                if not await feed(pending):
                    break
                pending, pending_size = [], 0
        else:
            if pending:
                await feed(pending)
            await feed(_END)
    except ClientDisconnect:
        await feed(BodyCutShort())
        await _settled(consumer)
        raise HTTPException(400, detail="the request body was cut short: nothing of it was kept") from None
    finally:
        abandoned.set()
    return await consumer


async def _settled(task: asyncio.Future[Any]) -> None:
    """Wait for ``task`` to end, its outcome (a BodyCutShort, most likely) seen and dropped."""
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()


async def stream_file(request: Request, handle: BinaryIO, *, length: int, chunk: int = BATCH) -> AsyncIterator[bytes]:
    """``length`` bytes of ``handle`` (from where it stands), read in a thread ``chunk`` at a
    time; closes it at the end."""
    limiter: anyio.CapacityLimiter = request.app.state.waiting_threads
    left = length
    try:
        while left > 0:
            data = await anyio.to_thread.run_sync(handle.read, min(chunk, left), limiter=limiter)
            if not data:
                return
            left -= len(data)
            yield data
    finally:
        await anyio.to_thread.run_sync(handle.close, limiter=limiter)
