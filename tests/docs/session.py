"""Run the examples of a documentation page as a reader would, and compare what they print.

A page is one session: its blocks run in order, in one new folder holding a copy of
``examples/``, on the registry that folder gets (``./.llm-registry``, made on first use). Per
block, by its info string:

- ``python``: run in a namespace shared by the page's Python blocks. A ``text`` block preceded by
  ``<!-- output -->`` right after it is what the block prints.
- ``console``: each ``$ COMMAND`` line (``\\`` continues it) runs and what follows it, up to the
  next ``$`` line, is what it prints (stdout and stderr, in order). ``llm-registry`` and
  ``./scripts/registry`` run the CLI in this process; in a pipeline (``printf … | llm-registry
  register -``, ``llm-registry … | head -12``) the other commands, and lines without the CLI,
  run in ``bash`` in the session folder. ``$?`` is the exit code of the previous command.
- ``yaml`` or ``toml`` whose first line is ``# FILE`` (a plain relative name), or any block marked
  ``<!-- file: FILE -->``: written to ``FILE`` in the session folder, for the commands after it.
- anything else: not run (synopses, grammars, illustrative shapes).

Comments right before a block:
- ``<!-- not run: REASON -->``: the block is skipped (and counted);
- ``<!-- env: NAME=VALUE … -->``: environment variables for the rest of the page's session, as
  the page's prose says it ran (``LLM_REGISTRY_ACTOR=alice``);
- ``<!-- run against: llm-registry serve --no-auth -->``: a real server is started on the
  session's registry, and ``http://127.0.0.1:8000`` in the block means that server.

Output is compared after one normalisation of both sides (see ``normalise``): times, ULIDs,
rates and the durations of transfers, which change from run to run. A line ``…`` in the shown
output stands for any number of lines. Digests, cursors, counts and everything else are compared
exactly.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.docs.markdown import ROOT, Block

CLI_NAMES = ("llm-registry", "./scripts/registry")
COMMENTED_KINDS = {"yaml", "toml"}
FILE_HEADER = re.compile(r"^# ([\w][\w.-]*\.(?:ya?ml|toml))\n")
DOCUMENTED_SERVER = "http://127.0.0.1:8000"

# What changes from one run to the next, and what it is replaced with on both sides.
NORMALISATION = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"), "<time>"),  # times
    (re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b"), "<ulid>"),  # ids
    (re.compile(r"\b\d[\d,]*(?:\.\d+)?(?: [KMGT]?B)?/s\b"), "<rate>/s"),  # throughputs: 18/s, 42.3 MB/s
    (re.compile(r"\bin \d+\.\d+s\b"), "in <seconds>s"),  # how long a transfer took: in 0.1s
    (re.compile(r'"seconds": \d+(?:\.\d+)?'), '"seconds": <seconds>'),  # durations
]


def normalise(text: str) -> str:
    """``text`` without what differs between runs; trailing spaces and blank lines dropped."""
    for pattern, replacement in NORMALISATION:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def matches(shown: str, printed: str) -> bool:
    """Whether ``printed`` is what ``shown`` shows, a line ``…`` standing for any lines."""
    expected = normalise(shown).splitlines() if shown.strip() else []
    actual = normalise(printed).splitlines() if printed.strip() else []
    return _match_lines(expected, actual)


def _match_lines(expected: list[str], actual: list[str]) -> bool:
    # reachable[j]: expected[:i] can match actual[:j]
    reachable = [True] + [False] * len(actual)
    for line in expected:
        if line.strip() == "…":
            seen = False
            for j in range(len(reachable)):
                seen = seen or reachable[j]
                reachable[j] = seen
        else:
            reachable = [False] + [reachable[j] and actual[j] == line for j in range(len(actual))]
    return reachable[-1]


@dataclass
class Command:
    line: int
    text: str
    shown: str


def console_commands(block: Block) -> list[Command]:
    """The ``$`` commands of a console block, each with the output shown after it."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise AssertionError(f"{block.page}:{block.line + 1 + index}: output before any $ command: {line!r}")
        start = index
        text = line[2:]
        while text.endswith("\\"):
            index += 1
            text = text[:-1] + " " + lines[index].strip()
        index += 1
        shown: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        commands.append(Command(block.line + 1 + start, text.strip(), "\n".join(shown)))
    return commands


def pipeline(command: str) -> list[str]:
    """A command line split at the ``|`` that are outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in command:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "|":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def cli_words(segment: str) -> tuple[dict[str, str], list[str]] | None:
    """(environment, arguments) of a segment that runs the CLI, else None."""
    words = shlex.split(segment, comments=True)
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words or words[0] not in CLI_NAMES:
        return None
    return env, words[1:]


def serves(arguments: list[str]) -> bool:
    """Whether CLI arguments run ``serve`` (global options before the verb skipped)."""
    words = iter(arguments)
    for word in words:
        if word == "--registry":
            next(words, None)
        elif not word.startswith("-"):
            return word == "serve"
    return False


@dataclass
class Session:
    """The session of one page: its folder, environment, Python namespace and last exit code."""

    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__docs__"})
    status: int = 0
    runner: CliRunner = field(default_factory=CliRunner)

    @classmethod
    @contextlib.contextmanager
    def open(cls, folder: Path) -> Iterator[Session]:
        """A session in ``folder`` (made, with ``examples/`` copied in), the process in it."""
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(ROOT / "examples", folder / "examples")
        # The developer's own registry, actor, token or terminal width must not leak in.
        clean = {name: value for name, value in os.environ.items()
                 if not name.startswith("LLM_REGISTRY_") and name != "COLUMNS"}
        clean["XDG_CONFIG_HOME"] = str(folder / ".config")  # saved logins: the session's own
        clean["XDG_CACHE_HOME"] = str(folder / ".cache")  # and the digests its pushes remember
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        os.environ.clear()
        os.environ.update(clean)
        os.chdir(folder)
        try:
            yield cls(folder)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)

    def set_env(self, assignments: str) -> None:
        for word in shlex.split(assignments):
            name, _, value = word.partition("=")
            self.env[name] = value
            os.environ[name] = value

    # Python ------------------------------------------------------------------------------

    def run_python(self, block: Block, source: str) -> str:
        """Run a Python block; what it printed."""
        printed = io.StringIO()
        code = compile(source, block.where, "exec")
        with contextlib.redirect_stdout(printed):
            exec(code, self.namespace)
        return printed.getvalue()

    # Console -----------------------------------------------------------------------------

    def run_command(self, command: str, shown: str = "") -> str:
        """Run one command line (whose output the page shows as ``shown``); what it printed."""
        segments = pipeline(command)
        at = [index for index, segment in enumerate(segments) if cli_words(segment) is not None]
        others = [segment for index, segment in enumerate(segments) if index not in at]
        # The CLI runs here, never in a shell (which could start a server, or another install).
        assert not any(re.search(r"(^|[\s/])(llm-registry|registry)(\s|$)", segment) for segment in others), (
            f"cannot run {command!r} here: mark its block <!-- not run: REASON -->")
        assert not re.search(r"(?<![&>])&(?![&>])", command), f"cannot run {command!r} in the background here"
        if not at:
            return self._bash(command)
        assert len(at) == 1, f"more than one llm-registry in {command!r}"
        before, segment, after = segments[: at[0]], segments[at[0]], segments[at[0] + 1 :]
        found = cli_words(segment)
        assert found is not None
        env, arguments = found
        assert serves(arguments) is False or shown.startswith("error:"), (
            f"{command!r} would start a server: mark its block <!-- not run: REASON -->")
        stdin = self._bash(" | ".join(before), merge=False) if before else None
        result = self._cli(arguments, stdin, env)
        self.status = result.exit_code
        if not after:
            return result.output
        piped = subprocess.run(["bash", "-c", " | ".join(after)], input=result.stdout, capture_output=True,
                               text=True, cwd=self.folder, check=False)
        return piped.stdout + result.stderr

    def _cli(self, arguments: list[str], stdin: str | None, env: dict[str, str]) -> Any:
        from tests.cli.conftest import app

        return self.runner.invoke(app, arguments, input=stdin, env={**self.env, **env}, prog_name="llm-registry",
                                  catch_exceptions=False)

    def _bash(self, command: str, *, merge: bool = True) -> str:
        # ``(exit N)`` first, so that ``$?`` is the exit code of the previous command.
        completed = subprocess.run(["bash", "-c", f"(exit {self.status}); {command}"], capture_output=True,
                                   text=True, cwd=self.folder, check=False)
        self.status = completed.returncode
        return completed.stdout + completed.stderr if merge else completed.stdout

    # Files -------------------------------------------------------------------------------

    def write_file(self, block: Block) -> bool:
        """Write a block headed ``# FILE`` or marked ``<!-- file: FILE -->`` to FILE; whether it was one."""
        header = FILE_HEADER.match(block.text) if block.info in COMMENTED_KINDS else None
        name = header.group(1) if header else None
        if block.comment and block.comment.startswith("file:"):
            name = block.comment.removeprefix("file:").strip()
        if name is None:
            return False
        assert re.fullmatch(r"[\w][\w.-]*", name), f"{block.where}: write only plain names into the session: {name!r}"
        (self.folder / name).write_text(block.text, encoding="utf-8")
        return True
