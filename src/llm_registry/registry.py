"""The Python API (§3.2): ``Registry.open(location)`` and methods that mirror the CLI verbs.

The same interface works embedded (a folder, ``sqlite:///…`` or ``postgresql://…``) and
remote (``http(s)://…``); results are typed models and errors are ``llm_registry.errors``.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from llm_registry import bootstrap
from llm_registry.assets.manifests import load_manifest, parse_manifest_text
from llm_registry.assets.models import Alias, AssetSummary, LabelRevision, Page, VersionDocument, VersionSummary
from llm_registry.assets.services import AssetService, LabelChanges
from llm_registry.events.models import Event
from llm_registry.lineage.models import ImpactReport, LineageGraph, Lockfile, VerifyReport
from llm_registry.search.models import SearchPage, Suggestion
from llm_registry.settings import Settings

ManifestInput = Mapping[str, Any] | str | Path


def read_manifest(manifest: ManifestInput) -> Mapping[str, Any]:
    """A mapping from a mapping, a path to a YAML/JSON file, or YAML/JSON text."""
    if isinstance(manifest, Path):
        return load_manifest(manifest)
    if isinstance(manifest, str):
        return parse_manifest_text(manifest)
    return manifest


class Registry:
    """A registry, embedded or remote. Use ``Registry.open``; close it (or use ``with``)."""

    @staticmethod
    def open(
        location: str | Path | None = None,
        *,
        settings: Settings | None = None,
        actor: str | None = None,
        token: str | None = None,
    ) -> Registry:
        """Open the registry at ``location`` (default: settings, else ``./.llm-registry``).

        An empty database gets the schema; an outdated one raises StorageError
        (``schema_outdated``) telling to run ``llm-registry db upgrade``.
        """
        settings = settings or Settings.load()
        where = str(location) if location is not None else settings.url
        if bootstrap.is_remote(where):
            from llm_registry.remote import RemoteRegistry

            return RemoteRegistry(where, settings=settings, token=token)
        return EmbeddedRegistry(where, settings=settings, actor=actor)

    # The methods below are implemented by EmbeddedRegistry and RemoteRegistry.
    location: str

    def register(self, manifest: ManifestInput) -> VersionDocument:
        """Register a version document (mapping, file path or YAML/JSON text); idempotent."""
        raise NotImplementedError

    def get(self, ref: str, *, as_of: str | None = None) -> VersionDocument:
        """The version a reference chooses (labels as of a time when given)."""
        raise NotImplementedError

    def resolve(self, ref: str) -> VersionDocument:
        """The version a reference chooses."""
        raise NotImplementedError

    def asset(self, ref: str) -> AssetSummary:
        """An asset (``kind:ns/name``): aliases, latest, version count."""
        raise NotImplementedError

    def assets(
        self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[AssetSummary]:
        raise NotImplementedError

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        """An asset's versions, highest SemVer precedence first."""
        raise NotImplementedError

    def label(
        self,
        ref: str,
        *,
        description: str | None = None,
        license: str | None = None,
        tags: Sequence[str] = (),
        untags: Sequence[str] = (),
        annotations: Mapping[str, str | None] | None = None,
    ) -> VersionDocument:
        """Change labels as a new revision (an annotation set to None is removed)."""
        raise NotImplementedError

    def label_history(self, ref: str) -> list[LabelRevision]:
        raise NotImplementedError

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        raise NotImplementedError

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        raise NotImplementedError

    def restore(self, ref: str) -> VersionDocument:
        raise NotImplementedError

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        raise NotImplementedError

    def set_alias(self, ref: str, alias: str, version: str) -> Alias:
        raise NotImplementedError

    def remove_alias(self, ref: str, alias: str) -> None:
        raise NotImplementedError

    def aliases(self, ref: str) -> list[Alias]:
        raise NotImplementedError

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Render a prompt: ``{"text": …}`` or ``{"messages": […]}``."""
        raise NotImplementedError

    def events(
        self,
        *,
        after: str | None = None,
        type: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        limit: int = 100,
    ) -> Page[Event]:
        """Events after a cursor, oldest first; ``next_cursor`` continues the feed."""
        raise NotImplementedError

    def search(
        self,
        query: str | None = None,
        *,
        kind: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
        facets: Sequence[str] = (),
        all_versions: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        """Versions matching a text query and a filter (latest per asset unless ``all_versions``),
        with facet counts; ``next_cursor`` continues."""
        raise NotImplementedError

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        """Completions for a search box: asset names, then tags."""
        raise NotImplementedError

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        """The pinned-dependency graph around a version: ``up`` (its pins), ``down`` (its dependents) or both."""
        raise NotImplementedError

    def impact(self, ref: str) -> ImpactReport:
        """Every version that depends on this one, directly or transitively, with the path."""
        raise NotImplementedError

    def lock(self, refs: Sequence[str]) -> Lockfile:
        """The transitive closure of the pins of ``refs``, with digests."""
        raise NotImplementedError

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        """Check a lockfile: every entry ok, missing, digest_changed or yanked."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EmbeddedRegistry(Registry):
    """The registry in this process, on SQLite or PostgreSQL. The process owner is the admin."""

    def __init__(self, location: str, *, settings: Settings, actor: str | None = None) -> None:
        self.location = location
        self.settings = settings
        self.actor = actor or settings.actor or _os_user()
        self.store = bootstrap.open_store(location, settings)
        self.service: AssetService = bootstrap.build_asset_service(self.store, settings)
        self.lineage_service = bootstrap.build_lineage_service(self.store, self.service)
        self.search_service = bootstrap.build_search_service(self.store, self.service)
        self._closed = False

    def register(self, manifest: ManifestInput) -> VersionDocument:
        return self.service.register(read_manifest(manifest), actor=self.actor)[0]

    def get(self, ref: str, *, as_of: str | None = None) -> VersionDocument:
        return self.service.get(ref, as_of=as_of)

    def resolve(self, ref: str) -> VersionDocument:
        return self.service.resolve(ref)

    def asset(self, ref: str) -> AssetSummary:
        return self.service.get_asset(ref)

    def assets(
        self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[AssetSummary]:
        return self.service.list_assets(kind=kind, namespace=namespace, cursor=cursor, limit=limit)

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        return self.service.list_versions(ref, cursor=cursor, limit=limit)

    def label(
        self,
        ref: str,
        *,
        description: str | None = None,
        license: str | None = None,
        tags: Sequence[str] = (),
        untags: Sequence[str] = (),
        annotations: Mapping[str, str | None] | None = None,
    ) -> VersionDocument:
        changes = LabelChanges(
            description=description,
            license=license,
            add_tags=tuple(tags),
            remove_tags=tuple(untags),
            annotations=dict(annotations or {}),
        )
        return self.service.update_labels(ref, changes, actor=self.actor)

    def label_history(self, ref: str) -> list[LabelRevision]:
        return self.service.list_label_history(ref)

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        return self.service.deprecate(ref, message=message, replacement=replacement, actor=self.actor)

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        return self.service.yank(ref, reason=reason, actor=self.actor)

    def restore(self, ref: str) -> VersionDocument:
        return self.service.restore(ref, actor=self.actor)

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        return self.service.delete(ref, force=force, actor=self.actor)

    def set_alias(self, ref: str, alias: str, version: str) -> Alias:
        return self.service.set_alias(ref, alias, version, actor=self.actor)

    def remove_alias(self, ref: str, alias: str) -> None:
        self.service.remove_alias(ref, alias, actor=self.actor)

    def aliases(self, ref: str) -> list[Alias]:
        return self.service.list_aliases(ref)

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.service.render(ref, variables or {})

    def events(
        self,
        *,
        after: str | None = None,
        type: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        limit: int = 100,
    ) -> Page[Event]:
        return self.service.list_events(after=after, types=type, subject=subject, actor=actor, limit=limit)

    def search(
        self,
        query: str | None = None,
        *,
        kind: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
        facets: Sequence[str] = (),
        all_versions: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        return self.search_service.search(
            query,
            kind=kind,
            filter=filter,
            sort=sort,
            facets=facets,
            all_versions=all_versions,
            cursor=cursor,
            limit=limit,
        )

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        return self.search_service.suggest(prefix, limit=limit)

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        return self.lineage_service.lineage(ref, direction=direction, depth=depth, relations=relations)

    def impact(self, ref: str) -> ImpactReport:
        return self.lineage_service.impact(ref)

    def lock(self, refs: Sequence[str]) -> Lockfile:
        return self.lineage_service.lock(refs)

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        return self.lineage_service.verify_lock(lock)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.store.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
