"""Local files against what a version declares: the checks ``verify --files DIR`` adds, made
where the files are (the client), embedded or remote alike."""

from __future__ import annotations

from pathlib import Path

from llm_registry.assets.models import VersionDocument
from llm_registry.integrity.hashing import digest_of_path
from llm_registry.integrity.trust.models import Check, CheckStatus

_SHOWN = 10  # problems named one by one; the rest are counted


def check_folder(version: VersionDocument, folder: Path) -> list[Check]:
    """A line per file that is missing from ``folder`` or has other bytes there, and one line
    with the count of files that match (and of files the version does not declare, a warning)."""
    files = version.content.files if version.content is not None and version.content.files else []
    if not folder.is_dir():
        return [Check(check="files", subject=str(folder), status=CheckStatus.FAILED, message="not a folder")]
    if not files:
        return [Check(check="files", subject=str(folder), status=CheckStatus.FAILED,
                      message=f"{version.ref} declares no files (content.files) to compare with")]
    root = folder.resolve()
    failed: list[Check] = []
    for entry in files:
        path = (root / entry.path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            failed.append(_failed(entry.path, "missing from the folder"))
            continue
        digest, size = digest_of_path(path)
        if digest != entry.digest or size != entry.size:
            failed.append(_failed(entry.path, f"has other bytes: {digest} ({size} bytes), declared {entry.digest} "
                                              f"({entry.size} bytes)"))
    checks = failed[:_SHOWN]
    if len(failed) > _SHOWN:
        checks.append(_failed("…", f"and {len(failed) - _SHOWN} more files missing or changed"))
    declared = {entry.path for entry in files}
    extra = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.is_file() and p.relative_to(root).as_posix() not in declared)
    matched = len(files) - len(failed)
    checks.append(Check(
        check="files", subject=str(folder), status=CheckStatus.FAILED if failed else CheckStatus.OK,
        message=f"{matched} of {len(files)} declared files match their digests",
    ))
    if extra:
        shown = ", ".join(extra[:_SHOWN]) + (" …" if len(extra) > _SHOWN else "")
        checks.append(Check(check="files", subject=str(folder), status=CheckStatus.WARNING,
                            message=f"{len(extra)} file(s) the version does not declare: {shown}"))
    return checks


def _failed(path: str, message: str) -> Check:
    return Check(check="file", subject=path, status=CheckStatus.FAILED, message=message)
