"""The Python API (§3.2): ``Registry.open(location)`` and methods that mirror the CLI verbs.

``Registry`` is the contract, written once here; ``EmbeddedRegistry`` (this process, on SQLite
or PostgreSQL) and ``RemoteRegistry`` (a server, over HTTP) implement it beside each other and
answer the same typed models and the same ``llm_registry.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from llm_registry.assets.manifests import ManifestInput
from llm_registry.assets.models import (
    Alias,
    AssetSummary,
    BatchResult,
    LabelRevision,
    Page,
    VersionDocument,
    VersionSummary,
)
from llm_registry.events.models import Event
from llm_registry.integrity.trust.inputs import JsonInput
from llm_registry.integrity.trust.models import Provenance, Signature, Signer, VerificationReport
from llm_registry.lineage.models import ImpactReport, LineageGraph, Lockfile, VerifyReport
from llm_registry.search.models import SearchPage, Suggestion
from llm_registry.settings import Settings

if TYPE_CHECKING:
    from llm_registry.integrity.trust.signing import KeyInput


class _Opens(type(Protocol)):  # type: ignore[misc]  # the metaclass of protocols, known only at run time
    """``Registry.open`` is a method of the protocol's metaclass, not a member of the protocol:
    the implementations need not have it, so they need not import this module."""

    def open(
        cls,
        location: str | Path | None = None,
        *,
        settings: Settings | None = None,
        actor: str | None = None,
        token: str | None = None,
    ) -> Registry:
        """Open the registry at ``location``: a folder, ``sqlite:///FILE``, ``postgresql://…`` or
        ``http(s)://…`` (default: settings, else ``./.llm-registry``).

        An empty database gets the schema; an outdated one raises StorageError
        (``schema_outdated``) telling to run ``llm-registry db upgrade``. ``actor`` is who an
        embedded registry records as making changes (default: the ``actor`` setting, else the
        OS user); ``token`` is what a remote one sends (default: the ``token`` setting, else the
        session saved by ``llm-registry login``).
        """
        from llm_registry.bootstrap import is_remote

        settings = settings or Settings.load()
        where = str(location) if location is not None else settings.url
        if is_remote(where):
            from llm_registry.remote import RemoteRegistry

            return RemoteRegistry(where, settings=settings, token=token)
        from llm_registry.embedded import EmbeddedRegistry

        return EmbeddedRegistry(where, settings=settings, actor=actor)


class Registry(Protocol, metaclass=_Opens):
    """A registry, embedded or remote. Use ``Registry.open``; close it (or use ``with``)."""

    location: str

    def register(
        self, manifest: ManifestInput, *, files: Sequence[Path] = (), files_root: Path | None = None
    ) -> VersionDocument:
        """Register a version document (a mapping, a file path, or YAML/JSON text); idempotent for
        an identical document. ``files`` are local files described in ``content.files`` (sha256
        and size), recorded relative to ``files_root`` when given, else by file name."""
        ...

    def register_many(
        self,
        manifests: Iterable[ManifestInput],
        *,
        batch_size: int = 1000,
        continue_on_error: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> BatchResult:
        """Register many documents, a transaction per ``batch_size`` of them, each with exactly the
        checks, pins, search entry and event of ``register`` (a document may depend on one earlier
        in the batch). A batch is all-or-nothing: the first failing document is raised (its field
        as ``documents[i].…``) and nothing of its batch is written, unless ``continue_on_error``,
        which commits the good ones and reports the others in the result. Batches before a failing
        one stay registered. ``progress`` is called after each batch with its number of documents."""
        ...

    def get(self, ref: str, *, as_of: str | None = None) -> VersionDocument:
        """The version a reference chooses (labels as of a time when given)."""
        ...

    def resolve(self, ref: str) -> VersionDocument:
        """The version a reference chooses."""
        ...

    def asset(self, ref: str) -> AssetSummary:
        """An asset (``kind:ns/name``): aliases, latest, version count."""
        ...

    def assets(
        self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[AssetSummary]:
        """A page of assets, ordered by kind, namespace and name."""
        ...

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        """An asset's versions, highest SemVer precedence first."""
        ...

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
        """Change labels as a new revision: ``tags`` are added, ``untags`` removed, ``set_tags``
        replaces the whole list; an annotation set to None is removed; ``""`` clears the
        description, license or card (the model or dataset card, Markdown)."""
        ...

    def label_history(self, ref: str) -> list[LabelRevision]:
        """Every label revision of a version, oldest first."""
        ...

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        """Mark a version deprecated (ranges still choose it), with a message and a replacement."""
        ...

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        """Yank a version: kept and fetchable by exact version, never chosen by a range."""
        ...

    def restore(self, ref: str) -> VersionDocument:
        """Make a deprecated or yanked version active again."""
        ...

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        """Delete an exact version (refused while others pin it, unless ``force``); answers what was deleted."""
        ...

    def set_alias(self, ref: str, alias: str, version: str) -> Alias:
        """Point an alias of the asset ``ref`` at an exact version."""
        ...

    def remove_alias(self, ref: str, alias: str) -> None:
        """Remove an alias; raises NotFoundError (``alias_not_found``)."""
        ...

    def aliases(self, ref: str) -> list[Alias]:
        """The asset's aliases, the implicit ``latest`` first."""
        ...

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Render a prompt: ``{"text": …}`` or ``{"messages": […]}``."""
        ...

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
        """Events after a cursor, oldest first; ``next_cursor`` continues the feed. With ``wait``,
        waits up to that many seconds for an event when there is none yet (long-poll)."""
        ...

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
        ...

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        """Completions for a search box: asset names, then tags."""
        ...

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        """The pinned-dependency graph around a version: ``up`` (its pins), ``down`` (its dependents) or both."""
        ...

    def impact(self, ref: str) -> ImpactReport:
        """Every version that depends on this one, directly or transitively, with the path."""
        ...

    def lock(self, refs: Sequence[str]) -> Lockfile:
        """The transitive closure of the pins of ``refs``, with digests."""
        ...

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        """Check a lockfile: every entry ok, missing, digest_changed or yanked."""
        ...

    # ----------------------------------------------------------------- trust
    def add_signer(self, name: str, public_key: str | bytes | Path) -> Signer:
        """Trust a public key (PEM text or file; Ed25519 or ECDSA P-256/384/521) as ``name``;
        idempotent for the same name and key. Raises ConflictError (``signer_exists``),
        ValidationError (``invalid_key``), ForbiddenError (needs ``signers:manage``)."""
        ...

    def signers(self) -> list[Signer]:
        """Every signer by name, revoked ones too."""
        ...

    def revoke_signer(self, name: str) -> Signer:
        """Revoke a signer: its signatures stop counting. Raises NotFoundError (``signer_not_found``)."""
        ...

    def sign(self, ref: str, key: KeyInput, *, format: str = "registry", password: str | None = None) -> Signature:
        """Sign the version ``ref`` chooses with a local private key (a PEM file's path, PEM text, or a
        loaded key; never sent) and attach the signature. ``format``: ``registry`` (its files and
        digest as subjects) or ``model-signing`` (OpenSSF model signing v1.0, which their verifier
        checks against the model's folder). The key must be a trusted signer's."""
        ...

    def add_signature(self, ref: str, envelope: JsonInput) -> Signature:
        """Attach a signature made elsewhere: a DSSE envelope or a Sigstore bundle (a mapping or a
        JSON file), such as ``model_signing sign key`` writes. Raises ValidationError
        (``unknown_signer``, ``signer_revoked``, ``invalid_signature``, ``subject_mismatch``, …)."""
        ...

    def signatures(self, ref: str) -> list[Signature]:
        """The signatures of a version, oldest first."""
        ...

    def verify(self, ref: str, *, files: Path | None = None) -> VerificationReport:
        """Check a version: its digest against its declared files, each signature (trusted,
        unrevoked signer; verifying; about these bytes), each attached provenance, the trust
        policy; with ``files``, that the folder's files have the declared digests."""
        ...

    def attach_provenance(self, ref: str, statement: JsonInput) -> Provenance:
        """Attach an in-toto/SLSA provenance statement (or a DSSE envelope around one), checked
        against the version: refused when about other bytes (``subject_mismatch``); pinned
        dependencies missing from its materials are reported in its ``check``."""
        ...

    def provenance(self, ref: str) -> list[Provenance]:
        """The provenance attached to a version, each with its check."""
        ...

    def close(self) -> None:
        """Release connections (idempotent)."""
        ...

    def __enter__(self) -> Registry: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


__all__ = ["ManifestInput", "Registry"]
