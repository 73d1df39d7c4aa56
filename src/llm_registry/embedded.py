"""The registry in this process, on SQLite or PostgreSQL: the ``Registry`` API straight over the
services. The process owner acts as an admin (no accounts, no authorization).

On SQLite, ``get``, ``resolve`` and ``versions`` read through ``SqliteReadStore`` (the ``sqlite3``
module alone), and the services, SQLAlchemy with them, are built when another method first
needs them: a command that only looks a version up starts in a fraction of the time.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from llm_registry import bootstrap
from llm_registry.domain.access import Actor, Role

if TYPE_CHECKING:
    from llm_registry.assets.manifests import ManifestInput
    from llm_registry.assets.models import (
        Alias,
        AssetSummary,
        BatchResult,
        LabelRevision,
        VersionDocument,
        VersionSummary,
    )
    from llm_registry.assets.reads import VersionCatalog
    from llm_registry.assets.store_sql import SqlAssetStore
    from llm_registry.assets.store_sqlite_read import SqliteReadStore
    from llm_registry.domain.pages import Page
    from llm_registry.events.models import Event
    from llm_registry.governance.approvals import Approval, ApprovalService
    from llm_registry.governance.evaluations import Evaluation, EvaluationComparison, EvaluationService
    from llm_registry.governance.services import PolicyService, PolicySummary, PolicyTest
    from llm_registry.integrity.models import PullResult, PushResult
    from llm_registry.integrity.trust.inputs import JsonInput
    from llm_registry.integrity.trust.models import Provenance, Signature, Signer, VerificationReport
    from llm_registry.integrity.trust.services import TrustService
    from llm_registry.lineage.models import ImpactReport, LineageGraph, Lockfile, VerifyReport
    from llm_registry.search.models import SearchPage, Suggestion
    from llm_registry.services import Services
    from llm_registry.settings import Settings

if TYPE_CHECKING:
    from llm_registry.integrity.trust.signing import KeyInput

T = TypeVar("T")


class EmbeddedRegistry:
    """Implements ``llm_registry.Registry`` in this process. ``services`` is every service over
    the store (for code that needs more than the API)."""

    def __init__(self, location: str, *, settings: Settings, actor: str | None = None) -> None:
        self.location = location
        self.settings = settings
        self.actor = Actor(actor or settings.actor or _os_user(), Role.ADMIN)
        self._services: Services | None = None
        self._services_lock = threading.Lock()
        read_store = bootstrap.open_read_store(location, settings)
        if read_store is None:  # a database to create or check, or PostgreSQL: the services do it
            self._services = bootstrap.build_services(settings, location=location)
            if self._services.store.backend == "sqlite":
                read_store = bootstrap.open_read_store(location, settings)
        self._read_store: SqliteReadStore | None = read_store
        try:
            self._versions = self._version_catalog()
        except BaseException:
            self.close()
            raise

    def _version_catalog(self) -> VersionCatalog:
        """What answers get, resolve and versions: the read store's catalog, else the services'."""
        if self._read_store is None:
            return self.services.catalog
        return bootstrap.build_version_catalog(self._read_store, self.settings)

    @property
    def services(self) -> Services:
        """Every service over the store, built on first use."""
        services = self._services
        if services is None:
            with self._services_lock:
                if self._services is None:
                    self._services = bootstrap.build_services(self.settings, location=self.location)
                services = self._services
        return services

    @property
    def store(self) -> SqlAssetStore:
        """The store the services share."""
        return self.services.store

    def register(
        self, manifest: ManifestInput, *, files: Sequence[Path] = (), files_root: Path | None = None
    ) -> VersionDocument:
        from llm_registry.assets.manifests import attach_files, read_manifest

        document = read_manifest(manifest)
        if files:
            document = attach_files(document, files, root=files_root)
        return self.services.registration.register(document, actor=self.actor)[0]

    def register_many(
        self,
        manifests: Iterable[ManifestInput],
        *,
        batch_size: int = 1000,
        continue_on_error: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> BatchResult:
        from llm_registry.assets.manifests import read_manifest

        return self.services.batch.register_many(
            (read_manifest(m) for m in manifests), actor=self.actor, batch_size=batch_size,
            continue_on_error=continue_on_error, progress=progress,
        )

    def get(self, ref: str, *, as_of: str | None = None) -> VersionDocument:
        return self._versions.get(ref, as_of=as_of)

    def resolve(self, ref: str) -> VersionDocument:
        return self._versions.resolve(ref)

    def asset(self, ref: str) -> AssetSummary:
        return self.services.catalog.get_asset(ref)

    def assets(
        self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[AssetSummary]:
        return self.services.catalog.list_assets(kind=kind, namespace=namespace, cursor=cursor, limit=limit)

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        return self._versions.list_versions(ref, cursor=cursor, limit=limit)

    def label(
        self,
        ref: str,
        *,
        description: str | None = None,
        license: str | None = None,
        card: str | None = None,
        tags: Sequence[str] = (),
        untags: Sequence[str] = (),
        set_tags: Sequence[str] | None = None,
        annotations: Mapping[str, str | None] | None = None,
    ) -> VersionDocument:
        from llm_registry.assets.changes import LabelChanges

        changes = LabelChanges(
            description=description,
            license=license,
            card=card,
            tags=tuple(set_tags) if set_tags is not None else None,
            add_tags=tuple(tags),
            remove_tags=tuple(untags),
            annotations=dict(annotations or {}),
        )
        return self.services.changes.update_labels(ref, changes, actor=self.actor)

    def label_history(self, ref: str) -> list[LabelRevision]:
        return all_items(lambda cursor: self.services.catalog.list_label_history(ref, cursor=cursor, limit=1000))

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        return self.services.changes.deprecate(ref, message=message, replacement=replacement, actor=self.actor)

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        return self.services.changes.yank(ref, reason=reason, actor=self.actor)

    def restore(self, ref: str) -> VersionDocument:
        return self.services.changes.restore(ref, actor=self.actor)

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        return self.services.changes.delete(ref, force=force, actor=self.actor)

    def set_alias(self, ref: str, alias: str, version: str, *, force: bool = False) -> Alias:
        return self.services.aliases.set_alias(ref, alias, version, actor=self.actor, force=force)

    def remove_alias(self, ref: str, alias: str) -> None:
        self.services.aliases.remove_alias(ref, alias, actor=self.actor)

    def aliases(self, ref: str) -> list[Alias]:
        return all_items(lambda cursor: self.services.aliases.list_aliases(ref, cursor=cursor, limit=1000))

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.services.catalog.render(ref, variables or {})

    def events(
        self,
        *,
        after: str | None = None,
        type: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        limit: int = 100,
        wait: float = 0.0,
    ) -> Page[Event]:
        return self.services.events.list_events(
            after=after, types=type, subject=subject, actor=actor, limit=limit, wait=wait
        )

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
        return self.services.search.search(
            query, kind=kind, filter=filter, sort=sort, facets=facets, all_versions=all_versions, cursor=cursor,
            limit=limit,
        )

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        return self.services.search.suggest(prefix, limit=limit)

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        return self.services.lineage.lineage(ref, direction=direction, depth=depth, relations=relations)

    def impact(self, ref: str) -> ImpactReport:
        return self.services.lineage.impact(ref)

    def lock(self, refs: Sequence[str]) -> Lockfile:
        return self.services.lineage.lock(refs)

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        return self.services.lineage.verify_lock(lock)

    def push(
        self,
        ref_or_manifest: ManifestInput,
        paths: Sequence[Path | str],
        *,
        files_root: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
        threads: int | None = None,
    ) -> PushResult:
        from llm_registry.integrity.digest_cache import DigestCache
        from llm_registry.integrity.transfer import ServiceTransport, push_files

        return push_files(
            ref_or_manifest, paths, transport=ServiceTransport(self.services.blobs, self.actor),
            get=self.services.catalog.get,
            register=lambda document: self.services.registration.register(document, actor=self.actor),
            files_root=files_root, progress=progress, threads=threads or self.settings.transfer_threads,
            cache=DigestCache() if self.settings.digest_cache else None,
        )

    def pull(
        self,
        ref: str,
        dest: Path | str,
        *,
        progress: Callable[[int, int], None] | None = None,
        threads: int | None = None,
    ) -> PullResult:
        from llm_registry.integrity.transfer import ServiceTransport, pull_files

        plan = self.services.blobs.pull_plan(ref, actor=self.actor)
        return pull_files(plan, Path(dest), transport=ServiceTransport(self.services.blobs, self.actor),
                          progress=progress, threads=threads or self.settings.transfer_threads)

    # ----------------------------------------------------------------- trust
    @property
    def trust(self) -> TrustService:
        assert self.services.trust is not None  # bootstrap always builds it
        return self.services.trust

    def add_signer(self, name: str, public_key: str | bytes | Path) -> Signer:
        from llm_registry.integrity.trust.inputs import read_public_key

        return self.trust.signers.add_signer(name, read_public_key(public_key), actor=self.actor)[0]

    def signers(self) -> list[Signer]:
        return self.trust.signers.list_signers()

    def revoke_signer(self, name: str) -> Signer:
        return self.trust.signers.revoke_signer(name, actor=self.actor)

    def sign(self, ref: str, key: KeyInput, *, format: str = "registry", password: str | None = None) -> Signature:
        from llm_registry.integrity.trust.signing import sign_version, signing_key

        loaded = signing_key(key, password=password)
        document = self.get(ref)
        return self.add_signature(document.ref, sign_version(document, loaded, format=format).to_json())

    def add_signature(self, ref: str, envelope: JsonInput) -> Signature:
        from llm_registry.integrity.trust.inputs import read_json_input

        data = read_json_input(envelope, field="envelope")
        return self.trust.signatures.add_signature(ref, data, actor=self.actor)[0]

    def signatures(self, ref: str) -> list[Signature]:
        return self.trust.signatures.list_signatures(ref)

    def verify(self, ref: str, *, files: Path | None = None) -> VerificationReport:
        report = self.trust.verification.verify(ref)
        from llm_registry.integrity.trust.inputs import with_local_files

        return with_local_files(report, self.get(report.ref), files)

    def attach_provenance(self, ref: str, statement: JsonInput) -> Provenance:
        from llm_registry.integrity.trust.inputs import read_json_input

        data = read_json_input(statement, field="statement")
        return self.trust.provenance.attach(ref, data, actor=self.actor)[0]

    def provenance(self, ref: str) -> list[Provenance]:
        return self.trust.provenance.list_provenance(ref)

    # ------------------------------------------------------------ governance
    @property
    def _policies(self) -> PolicyService:
        assert self.services.policies is not None  # bootstrap always builds it
        return self.services.policies

    @property
    def _approvals(self) -> ApprovalService:
        assert self.services.approvals is not None  # bootstrap always builds it
        return self.services.approvals

    def policies(self) -> list[PolicySummary]:
        return self._policies.active(actor=self.actor)

    def test_policy(
        self, policy: str, subject: str | Mapping[str, Any], *, operation: str = "register",
        target: Mapping[str, Any] | None = None,
    ) -> PolicyTest:
        return self._policies.test(policy, subject, operation=operation, target=target, actor=self.actor)

    def approvals(self, *, state: str | None = None) -> list[Approval]:
        return all_items(lambda cursor: self._approvals.list(actor=self.actor, state=state, cursor=cursor, limit=1000))

    def approval(self, approval_id: str) -> Approval:
        return self._approvals.get(approval_id, actor=self.actor)

    def approve(self, approval_id: str, *, comment: str | None = None) -> Approval:
        return self._approvals.approve(approval_id, actor=self.actor, comment=comment)

    def reject(self, approval_id: str, *, comment: str) -> Approval:
        return self._approvals.reject(approval_id, actor=self.actor, comment=comment)
    # ----------------------------------------------------------- evaluations
    @property
    def _evaluations(self) -> EvaluationService:
        assert self.services.evaluations is not None  # bootstrap always builds it
        return self.services.evaluations

    def record_evaluation(
        self,
        subject: str,
        *,
        suite: str,
        metrics: Mapping[str, float],
        dataset: str | None = None,
        prompt: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Evaluation:
        return self._evaluations.record(subject, suite=suite, dataset=dataset, prompt=prompt, metrics=metrics,
                                        details=details, actor=self.actor)

    def evaluations(
        self, *, subject: str | None = None, suite: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Evaluation]:
        return self._evaluations.list(subject=subject, suite=suite, cursor=cursor, limit=limit)

    def evaluation(self, evaluation_id: str) -> Evaluation:
        return self._evaluations.get(evaluation_id)

    def compare_evaluations(self, refs: Sequence[str], *, suite: str) -> EvaluationComparison:
        return self._evaluations.compare(refs, suite=suite)

    def close(self) -> None:
        if self._read_store is not None:
            self._read_store.close()
        if self._services is not None:
            self._services.close()

    def __enter__(self) -> EmbeddedRegistry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def all_items(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    """Every item of a paged list, reading page after page."""
    return list(_iter_pages(fetch))


def _iter_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
