"""The schema revision without Alembic: this release's head, read from the migration scripts,
and the revision a SQLite database records.

Opening a registry whose database is at head needs nothing else, and Alembic costs a start of
the CLI ~60 ms (it imports itself, Mako, and every migration script to walk the chain). Anything
else (an empty database, an older or unknown revision, scripts this reader does not follow) is
``storage.migrate``'s to decide, with Alembic; a test checks that both find the same head.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from functools import cache
from pathlib import Path

_SCRIPTS = Path(__file__).parent / "migrations" / "versions"
# ``revision = "0004"`` and ``down_revision = "0003"``, as script.py.mako writes them.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)(?:\s*:[^=\n]*)?\s*=\s*(.+?)\s*$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest revision of this release's scripts (None when they do not form one chain)."""
    parents: dict[str, str | None] = {}
    for script in sorted(_SCRIPTS.glob("*.py")):
        found = dict(_ASSIGNMENT.findall(script.read_text("utf-8")))
        try:
            revision, parent = ast.literal_eval(found["revision"]), ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not (parent is None or isinstance(parent, str)):
            return None
        parents[revision] = parent
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


def recorded_revision(connection: sqlite3.Connection) -> str | None:
    """The one revision a SQLite database records in ``alembic_version`` (None: none, or several)."""
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no such table, or not a database
        return None
    return str(rows[0][0]) if len(rows) == 1 else None
