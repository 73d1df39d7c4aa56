"""The examples of the documentation run, and print what the pages show (see tests/docs/session.py
for how a page is run and what the comparison ignores)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.docs.markdown import PAGES, Block, blocks, page_name
from tests.docs.session import DOCUMENTED_SERVER, Session, console_commands, matches, normalise

RUN = {"python", "console"}
# Blocks a page may leave unrun, each with its reason beside it in the page: few, and counted.
MOST_NOT_RUN = 6


def runnable_pages() -> list[Path]:
    return [page for page in PAGES if any(block.info in RUN for block in blocks(page))]


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``llm-registry serve --no-auth`` on the session's registry, on a free port: its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    log = (folder / "server.log").open("wb")
    command = [str(Path(sys.executable).with_name("llm-registry")), "--registry", str(folder / ".llm-registry"),
               "serve", "--no-auth", "--port", str(port)]
    env = {name: value for name, value in os.environ.items() if not name.startswith("LLM_REGISTRY_")}
    process = subprocess.Popen(command, stdout=log, stderr=log, env={**env, "LLM_REGISTRY_ACCESS_LOG": "false"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (folder / "server.log").read_text()
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (folder / "server.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def output_of(page: list[Block], index: int) -> str | None:
    """The output shown for the Python block at ``index``: a ``text`` block right after it,
    marked ``<!-- output -->``."""
    if index + 1 < len(page) and page[index + 1].info == "text" and page[index + 1].comment == "output":
        return page[index + 1].text
    return None


def difference(where: str, command: str, shown: str, printed: str) -> str:
    return (f"{where}: {command}\n--- the page shows (normalised):\n{normalise(shown)}\n"
            f"--- it printed (normalised):\n{normalise(printed)}\n")


@pytest.mark.parametrize("page", runnable_pages(), ids=page_name)
def test_the_examples_of_the_page_run_as_shown(page: Path, tmp_path: Path) -> None:
    page_blocks = blocks(page)
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        session = stack.enter_context(Session.open(tmp_path / "session"))
        server: str | None = None
        for index, block in enumerate(page_blocks):
            if block.not_run is not None:
                continue
            if block.comment and block.comment.startswith("env:"):
                session.set_env(block.comment.removeprefix("env:"))
            text = block.text
            if block.comment == "run against: llm-registry serve --no-auth":
                server = server or stack.enter_context(served(session.folder))
                text = text.replace(DOCUMENTED_SERVER, server)
            if session.write_file(block):
                continue
            if block.info == "python":
                printed = session.run_python(block, text)
                shown = output_of(page_blocks, index)
                if shown is not None and not matches(shown, printed):
                    failures.append(difference(block.where, "(python)", shown, printed))
            elif block.info == "console":
                for command in console_commands(Block(block.page, block.line, block.info, text, block.comment)):
                    printed = session.run_command(command.text, command.shown)
                    if not matches(command.shown, printed):
                        failures.append(difference(f"{block.page}:{command.line}", command.text, command.shown,
                                                   printed))
    assert not failures, "\n".join(failures)


def test_blocks_not_run_are_few_and_say_why() -> None:
    not_run = [block for page in PAGES for block in blocks(page) if block.not_run is not None]
    for block in not_run:
        assert block.info in RUN, f"{block.where}: only python and console blocks are run; remove the comment"
        assert len(block.not_run or "") > 10, f"{block.where}: say why the block is not run"
    listing = "\n".join(f"  {block.where}: {block.not_run}" for block in not_run)
    assert len(not_run) <= MOST_NOT_RUN, f"{len(not_run)} blocks are not run:\n{listing}"


def test_every_output_block_follows_a_python_block() -> None:
    for page in PAGES:
        page_blocks = blocks(page)
        for index, block in enumerate(page_blocks):
            if block.comment == "output":
                follows_python = index > 0 and page_blocks[index - 1].info == "python"
                assert block.info == "text", f"{block.where}: <!-- output --> marks a text block"
                assert follows_python, f"{block.where}: <!-- output --> marks the output of the python block before it"
