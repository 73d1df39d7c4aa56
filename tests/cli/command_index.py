"""Write ``src/llm_registry/cli/index.py`` from what the command modules register.

    python -m tests.cli.command_index           # rewrite the index
    python -m tests.cli.command_index --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from llm_registry.cli import main as cli_main
from llm_registry.cli.commands import Entry, index_modules

INDEX = Path(__file__).resolve().parents[2] / "src" / "llm_registry" / "cli" / "index.py"


def _literal(value: object, indent: str) -> str:
    """``value`` as Python source (double-quoted strings); a multi-line string as one literal
    per line."""
    if not isinstance(value, str):
        return repr(value)
    lines = value.splitlines(keepends=True)
    if len(lines) <= 1:
        return json.dumps(value, ensure_ascii=False)
    return "(\n" + "".join(f"{indent}    {json.dumps(line, ensure_ascii=False)}\n" for line in lines) + f"{indent})"


def render_index(entries: Sequence[Entry]) -> str:
    """The source of ``cli/index.py`` for ``entries``."""
    out = [
        '"""The command index: each top-level command\'s name, module and help (cli/commands.py).',
        "",
        "Written by ``scripts/cli-index`` from what the command modules register; do not edit it by",
        "hand. ``tests/cli/test_commands.py`` fails when it is out of date.",
        '"""',
        "",
        "from llm_registry.cli.commands import Entry",
        "",
        "ENTRIES: tuple[Entry, ...] = (",
    ]
    for entry in entries:
        out.append("    Entry(")
        for field in fields(Entry):
            out.append(f"        {field.name}={_literal(getattr(entry, field.name), '        ')},")
        out.append("    ),")
    out.append(")")
    return "\n".join(out) + "\n"


def current() -> str:
    """The index as the command modules register their commands now."""
    return render_index(index_modules(cli_main.COMMAND_MODULES))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when the index is out of date")
    args = parser.parse_args(argv)
    text = current()
    if args.check:
        if INDEX.read_text(encoding="utf-8") != text:
            print(f"{INDEX} is out of date: run scripts/cli-index", file=sys.stderr)
            return 1
        return 0
    INDEX.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
