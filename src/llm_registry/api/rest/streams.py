"""Request and response bodies of any size, streamed between the event loop and the services.

The blob services are synchronous and write as they read; a request body arrives on the event
loop. ``consume_body`` hands the body to a service call running in a thread of its own, a
batch of about a megabyte at a time through a short queue: memory stays flat whatever the
size, the loop never waits on a disk, and hashing runs beside the loop on another core. The
queue is a thread-safe one that the service thread takes from directly: a batch waiting costs
it no trip through the loop, and the loop is woken only when it waits for room. A body cut
short (the client went away) reaches the service as ``BodyCutShort`` raised by its iterator,
so that it keeps nothing of it. ``stream_file`` sends a file-like's bytes the other way, read
in a thread a megabyte at a time, the next chunk read while the last one is sent: two in memory
per answer (4 MiB chunks grew the server by 109 MiB while four answers of 256 MiB went out).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
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
    batches: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
    abandoned = threading.Event()  # nothing more will be queued
    feeder_waits = threading.Event()  # the loop waits for room in the queue
    room = asyncio.Event()

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                item = batches.get(timeout=1)
            except queue.Empty:
                if abandoned.is_set():
                    raise BodyCutShort from None
                continue
            if feeder_waits.is_set():
                feeder_waits.clear()
                loop.call_soon_threadsafe(room.set)
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
        while not consumer.done():
            try:
                batches.put_nowait(item)
                return True
            except queue.Full:
                pass
            room.clear()
            feeder_waits.set()
            try:  # the service may have taken one before it could see the flag
                batches.put_nowait(item)
                return True
            except queue.Full:
                pass
            waiting = asyncio.ensure_future(room.wait())
            await asyncio.wait({waiting, consumer}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
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
    time, the next one while the last is sent; closes it at the end."""
    limiter: anyio.CapacityLimiter = request.app.state.waiting_threads

    def read(size: int) -> asyncio.Future[bytes]:
        return asyncio.ensure_future(anyio.to_thread.run_sync(handle.read, size, limiter=limiter))

    left = length
    reading = read(min(chunk, left)) if left > 0 else None
    try:
        while reading is not None:
            data = await reading
            reading = None
            if not data:
                return
            left -= len(data)
            if left > 0:
                reading = read(min(chunk, left))
            yield data
    finally:
        if reading is not None:  # the answer was cut short: the read in flight ends before the file closes
            await _settled(reading)
        await anyio.to_thread.run_sync(handle.close, limiter=limiter)
