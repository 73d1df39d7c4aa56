"""Write ``src/llm_registry/cli/index.py`` from what the command modules register.

    python -m tests.cli.command_index           # rewrite the index
    python -m tests.cli.command_index --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llm_registry.cli import main as cli_main
from llm_registry.cli.commands import index_modules, render_index

INDEX = Path(__file__).resolve().parents[2] / "src" / "llm_registry" / "cli" / "index.py"


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
