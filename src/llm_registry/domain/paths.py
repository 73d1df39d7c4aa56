"""The paths of a multi-file version (``content.files[i].path``): relative POSIX paths that land
inside the folder a version is pulled into, on any filesystem.

A path is one or more segments separated by ``/``; none is empty, ``.`` or ``..``; none holds a
backslash, a NUL or another control character; the path does not start with ``/``. Two paths
are the same file when they are equal after Unicode NFC normalisation and case folding (as they
are on macOS and Windows), and a path cannot be both a file and the folder of another file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from llm_registry.errors import ValidationError

MAX_PATH = 1024


def path_problem(path: str) -> str | None:
    """What is wrong with ``path`` as a file path of a version, or None when it is fine."""
    if not path:
        return "must not be empty"
    if len(path) > MAX_PATH:
        return f"must be at most {MAX_PATH} characters"
    if "\\" in path:
        return "must use / between folders, not a backslash"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "must not contain control characters"
    if path.startswith("/"):
        return "must be relative (no leading /)"
    for segment in path.split("/"):
        if segment == "":
            return "must not have empty segments (// or a trailing /)"
        if segment == "..":
            return "must not contain .. segments"
        if segment == ".":
            return "must not contain . segments"
    return None


def same_file_key(path: str) -> str:
    """The key under which two paths name the same file on a case-insensitive filesystem."""
    return unicodedata.normalize("NFC", path).casefold()


def check_file_paths(paths: Sequence[str], *, field: str = "content.files") -> None:
    """Refuse a path that breaks the rules, or names a file given earlier (after normalisation),
    or is a file and a folder at once; raises ValidationError (``invalid_manifest``) naming
    ``content.files[i].path``."""
    seen: dict[str, int] = {}
    for index, path in enumerate(paths):
        where = f"{field}[{index}].path"
        problem = path_problem(path)
        if problem is not None:
            raise ValidationError(f"{where}: {path!r} {problem}", code="invalid_manifest", field=where)
        key = same_file_key(path)
        if key in seen:
            raise ValidationError(
                f"{where}: {path!r} names the same file as {field}[{seen[key]}].path", code="invalid_manifest",
                field=where,
            )
        seen[key] = index
    for index, path in enumerate(paths):
        key = same_file_key(path)
        parts = key.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in seen:
                where = f"{field}[{index}].path"
                raise ValidationError(
                    f"{where}: {path!r} is inside {paths[seen[folder]]!r}, which is a file ({field}[{seen[folder]}])",
                    code="invalid_manifest", field=where,
                )
