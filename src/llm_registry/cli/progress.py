"""Progress bars on stderr, only when it is a terminal (never in pipes, files or ``--json``):
counts with their rate (``import``), bytes with their rate (``push``, ``pull``, hashing files)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from llm_registry.cli.output import make_console

Advance = Callable[[int], None]
"""Told how many more items are done."""
Bytes = Callable[[int, int], None]
"""Told how many bytes are done of how many."""


@contextmanager
def count_progress(verb: str, total: int, *, enabled: bool) -> Iterator[Advance]:
    """A bar of ``total`` items with the count and the rate; a no-op off a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield lambda count: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(verb), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}/s"),
               TimeElapsedColumn())
    with Progress(*columns, console=make_console(stderr=True), transient=True) as bar:
        task = bar.add_task(verb, total=total, rate="0")
        started = time.perf_counter()

        def advance(count: int) -> None:
            bar.advance(task, count)
            done = bar.tasks[0].completed
            bar.update(task, rate=f"{done / max(time.perf_counter() - started, 1e-9):,.0f}")

        yield advance


@contextmanager
def byte_progress(verb: str, *, enabled: bool) -> Iterator[Bytes | None]:
    """A bar of bytes with the rate and the time left; None off a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (TextColumn(verb), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=make_console(stderr=True), transient=True) as bar:
        task = bar.add_task(verb, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
