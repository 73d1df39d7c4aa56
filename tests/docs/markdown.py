"""The fenced code blocks of a Markdown page, with the HTML comment that may precede each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# The pages a user reads: every page of docs/ and the README.
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^```([\w+-]*)[ \t]*$")
COMMENT = re.compile(r"^<!--\s*(.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string (``python``, ``console``, …), its text, the line of
    its opening fence and the HTML comment on the line just before it, if any."""

    page: str
    line: int
    info: str
    text: str
    comment: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def not_run(self) -> str | None:
        """The reason given by ``<!-- not run: REASON -->`` before the block, else None."""
        if self.comment and self.comment.startswith("not run:"):
            return self.comment.removeprefix("not run:").strip()
        return None


def page_name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a page, in order. A fence left open is an error."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and lines[index] != "```":
            index += 1
        if index == len(lines):
            raise AssertionError(f"{page_name(path)}:{start + 1}: a code block is never closed")
        previous = lines[start - 1].strip() if start > 0 else ""
        comment = COMMENT.match(previous)
        found.append(Block(page_name(path), start + 1, opening.group(1), "\n".join(lines[start + 1 : index]) + "\n",
                           comment.group(1) if comment else None))
        index += 1
    return found


def prose(path: Path) -> str:
    """A page without its fenced blocks."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"^```[\w+-]*[ \t]*\n.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)


def code_spans(path: Path) -> list[str]:
    """The inline code spans of a page's prose (``like this``)."""
    return re.findall(r"`([^`\n]+)`", prose(path))
