"""What blob operations answer, as every interface shows it (Python API, REST, CLI ``--json``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from llm_registry.assets.models import FileEntry


class Blob(BaseModel):
    digest: str
    size: int


class UploadSession(BaseModel):
    """A resumable upload: send chunks from ``offset`` on, each at most ``chunk_max`` bytes."""

    id: str
    offset: int
    chunk_max: int


class PullPlan(BaseModel):
    """What pulling a version fetches: its files, and what the trust policy warns about it."""

    ref: str
    digest: str
    files: list[FileEntry]
    warnings: list[str] = Field(default_factory=list)


class PushResult(BaseModel):
    """A push: the version, its files, and how many were sent or found stored already."""

    ref: str
    digest: str
    created: bool
    files: int
    uploaded: int
    skipped: int
    bytes_uploaded: int
    seconds: float


class PullResult(BaseModel):
    """A pull: where the files went, how many were fetched or found whole already."""

    ref: str
    digest: str
    dest: str
    files: int
    downloaded: int
    skipped: int
    bytes_downloaded: int
    seconds: float
    warnings: list[str] = Field(default_factory=list)


class GcReport(BaseModel):
    """A garbage collection: the blobs looked at, kept and removed (or, dry, that would be).

    ``too_young`` counts the blobs stored within the grace, kept without looking up whether a
    version holds them; ``referenced`` the older ones that a version holds."""

    dry_run: bool
    grace_seconds: int
    scanned: int
    referenced: int
    too_young: int
    removed: list[Blob]
    bytes_freed: int
    uploads_removed: int
    temporary_removed: int
