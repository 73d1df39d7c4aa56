"""Worker processes of ``serve --workers N``, each listening on a socket of its own and
building the app from the parent's settings."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.supervisors import Multiprocess

from llm_registry.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class WorkerApp:
    """uvicorn's app factory (``factory=True``) for worker processes: ``create_app(settings)``.

    The supervisor pickles its ``Config``, this factory and so the settings with it, into each
    worker it spawns: a worker builds the app from exactly the parent's settings (a config file's,
    the options', secrets included) without any of them passing through the environment, which
    every child process would inherit. The app is imported in the worker, not the supervisor.
    """

    settings: Settings

    def __call__(self) -> FastAPI:
        from llm_registry.api.rest.app import create_app

        return create_app(self.settings)


class _SocketPerWorker:
    """``Multiprocess.sockets``, which uvicorn reads each time it creates a worker: a new
    listening socket each time."""

    def __get__(self, supervisor: ReusePortMultiprocess, owner: type | None = None) -> list[socket.socket]:
        return [supervisor.socket_for_next_worker()]

    def __set__(self, supervisor: ReusePortMultiprocess, value: list[socket.socket]) -> None:
        pass  # there is no shared socket to keep


class ReusePortMultiprocess(Multiprocess):
    """uvicorn's worker supervisor (restarts, signals, health checks), but each worker listens on
    its own ``SO_REUSEPORT`` socket.

    With one shared socket, every idle worker wakes for a new connection and the first to call
    accept() wins: a burst of keep-alive connections goes almost all to whichever worker is idle
    at that moment (31 of 32 were seen), and it then serves them alone for their lifetime. With a
    socket per worker, the kernel spreads connections over the workers by their addresses.

    The first socket is bound here, so that a port in use fails (OSError) before any worker starts.
    """

    sockets = _SocketPerWorker()

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config
        self._port = config.port
        self._handed_out: list[socket.socket] = []
        self._first: socket.socket | None = self._bind()
        super().__init__(config, sockets=[])

    def socket_for_next_worker(self) -> socket.socket:
        # The sockets handed out before went to workers already started: each was duplicated for
        # its worker when the worker started, and the copy here must not outlive that worker
        # (a listening socket nobody accepts on would still be given connections).
        for sock in self._handed_out:
            sock.close()
        self._handed_out.clear()
        if self._first is not None:
            sock, self._first = self._first, None
        else:
            sock = self._bind()
        self._handed_out.append(sock)
        return sock

    def _bind(self) -> socket.socket:
        config = self.config
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            # Linux copies the listener's TCP_NODELAY to the connections it accepts; asyncio sets
            # it only on sockets it knows to be TCP. Without it a response, written as headers then
            # body, waits for Nagle and the client's delayed ACK (~40 ms each).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((config.host, self._port))
            sock.listen(config.backlog)
        except OSError:
            sock.close()
            raise
        # Port 0: the first socket picked a port; every other worker listens on the same one.
        self._port = sock.getsockname()[1]
        sock.set_inheritable(True)
        return sock
