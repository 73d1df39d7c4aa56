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
    from llm_registry.domain.pages import Page
    from llm_registry.events.models import Event
    from llm_registry.governance.approvals import Approval
    from llm_registry.governance.evaluations import Evaluation, EvaluationComparison
    from llm_registry.governance.services import PolicySummary, PolicyTest
    from llm_registry.integrity.models import PullResult, PushResult
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
        from llm_registry.settings import Settings

        settings = settings or Settings.load()
        where = str(location) if location is not None else settings.url
        if is_remote(where):
            from llm_registry.remote import RemoteRegistry

            return RemoteRegistry(where, settings=settings, token=token)
        from llm_registry.embedded import EmbeddedRegistry

        return EmbeddedRegistry(where, settings=settings, actor=actor)


class Registry(Protocol, metaclass=_Opens):
    """A registry, embedded or remote. Use ``Registry.open``; close it (or use ``with``).

    ``location`` is where it is, as it was opened. References are ``kind:namespace/name[@selector]``
    (see the concepts); one that does not parse raises ValidationError (``invalid_reference``)."""

    location: str

    def register(
        self, manifest: ManifestInput, *, files: Sequence[Path] = (), files_root: Path | None = None
    ) -> VersionDocument:
        """Register a version document: a mapping, a path (a ``Path``, or a string naming a
        ``.yaml``, ``.yml`` or ``.json`` file) or YAML/JSON text. Idempotent: an identical document
        answers the registered version and records nothing. ``files`` are local files described in
        ``content.files`` (sha256 and size), recorded relative to ``files_root`` when given, else by
        file name. Raises ValidationError (the field to blame), NotFoundError
        (``dependency_not_found``) or ConflictError (``version_conflict``: the version exists with
        other immutable fields)."""
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
        """The version a reference chooses, with its labels as of an ISO-8601 time when ``as_of``
        is given; raises NotFoundError (``asset_not_found``, ``version_not_found``)."""
        ...

    def resolve(self, ref: str) -> VersionDocument:
        """The version a reference chooses (exact, range, alias, digest or latest); raises
        NotFoundError (``asset_not_found``, ``version_not_found``)."""
        ...

    def asset(self, ref: str) -> AssetSummary:
        """An asset (``kind:ns/name``): aliases, latest, version count; raises NotFoundError
        (``asset_not_found``)."""
        ...

    def assets(
        self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[AssetSummary]:
        """A page of assets, ordered by kind, namespace and name."""
        ...

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        """An asset's versions, highest SemVer precedence first; raises NotFoundError
        (``asset_not_found``)."""
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
        description, license or card (the model or dataset card, Markdown). Answers the version
        with its new labels; a change that changes nothing records nothing. Raises
        ValidationError for a bad label."""
        ...

    def label_history(self, ref: str) -> list[LabelRevision]:
        """Every label revision of a version, oldest first."""
        ...

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        """Mark a version deprecated (ranges still choose it), with a message and a replacement
        (deprecating again replaces them); raises ConflictError (``invalid_status_change``) for a
        yanked one."""
        ...

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        """Yank a version: kept and fetchable by exact version, never chosen by a range; raises
        ConflictError (``invalid_status_change``) when it is yanked already."""
        ...

    def restore(self, ref: str) -> VersionDocument:
        """Make a deprecated or yanked version active again; raises ConflictError
        (``invalid_status_change``) for an active one."""
        ...

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        """Delete an exact version; answers what was deleted. Raises ConflictError
        (``has_dependents``) while other versions pin it, unless ``force`` (their pins then
        point at nothing)."""
        ...

    def set_alias(self, ref: str, alias: str, version: str, *, force: bool = False) -> Alias:
        """Point an alias of the asset ``ref`` at an exact version, creating or moving it; raises
        ValidationError (``invalid_alias``: ``latest`` cannot be set) and ConflictError
        (``invalid_status_change``) for a yanked version. ``force`` activates a policy that
        would leave no admin able to change policy (else ConflictError ``policy_lockout``)."""
        ...

    def remove_alias(self, ref: str, alias: str) -> None:
        """Remove an alias; raises NotFoundError (``alias_not_found``)."""
        ...

    def aliases(self, ref: str) -> list[Alias]:
        """The asset's aliases, the implicit ``latest`` first."""
        ...

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Render a prompt: ``{"text": …}`` or ``{"messages": […]}``, the variables' defaults
        applied; raises ValidationError (``invalid_variables``, ``not_a_prompt``)."""
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
        """Versions matching every word of ``query`` and the ``filter`` expression, the current
        version of each asset unless ``all_versions``; ``sort`` is ``relevance`` (the default with
        words), ``created`` (without), ``updated``, ``name`` or ``popularity``. The first page
        counts the values of each of ``facets``; ``next_cursor`` continues. Raises
        ValidationError (``invalid_filter``, ``invalid_cursor``, ``invalid_parameter``)."""
        ...

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        """Completions for a search box: asset names starting with ``prefix`` (most pinned
        first), then tags."""
        ...

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        """The pinned-dependency graph around a version: ``up`` (its pins), ``down`` (its
        dependents) or ``both``, at most ``depth`` edges away (default: all, at most 100), following
        only ``relations`` when given; the root is the first node. Raises NotFoundError when the
        reference chooses no version."""
        ...

    def impact(self, ref: str) -> ImpactReport:
        """Every version that pins this one, directly or transitively, nearest first, each with
        its depth, the relation of its last edge and the shortest path to it; raises
        NotFoundError when the reference chooses no version."""
        ...

    def lock(self, refs: Sequence[str]) -> Lockfile:
        """The lockfile of ``refs``: each resolved, and the transitive closure of their pins, with
        digests; raises NotFoundError for a reference that chooses no version."""
        ...

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        """Check a lockfile (as ``lock`` made it, or its JSON data): each entry ``ok``,
        ``missing``, ``digest_changed`` or ``yanked``, and ``ok`` when all are; raises
        ValidationError (``invalid_parameter``, field ``lock``) for data that is not a lockfile."""
        ...

    def push(
        self,
        ref_or_manifest: ManifestInput,
        paths: Sequence[Path | str],
        *,
        files_root: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
        threads: int | None = None,
    ) -> PushResult:
        """Send the files of ``paths`` (folders give their files by their path inside them,
        files their name; paths relative to ``files_root`` when given) to the blob store, skipping
        those stored already, ``threads`` at a time (default: the ``transfer_threads`` setting).
        ``ref_or_manifest`` is a document (a mapping, a file or YAML/JSON text), registered with
        ``content.files`` describing the files once their bytes are stored; or a reference to a
        registered version, whose declared files the local ones must be exactly (ConflictError
        ``version_conflict`` otherwise: files of a version cannot change). ``progress(done,
        total)`` is called with bytes sent. Nothing is registered when a file fails to go."""
        ...

    def pull(
        self,
        ref: str,
        dest: Path | str,
        *,
        progress: Callable[[int, int], None] | None = None,
        threads: int | None = None,
    ) -> PullResult:
        """Write the files of the version ``ref`` chooses under ``dest``, each checked against its
        digest while it is written (to ``NAME.part``, renamed into place when right); continues a
        pull cut short, keeps files already right. Asks the trust policy first (PolicyDeniedError).
        Raises ValidationError ``no_files`` (the version declares none) or ``digest_mismatch``
        (a file's bytes are wrong: it is removed)."""
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

    # ------------------------------------------------------------ governance
    # Every change above is checked against the policies in force: a deny rule raises
    # PolicyDeniedError (``policy_denied``, naming the rule and the policy), a require_approval
    # rule raises ApprovalRequiredError (``details.approval_id``: the request that waits), and a
    # warn rule's message comes back in the result's ``warnings``.
    def policies(self) -> list[PolicySummary]:
        """The policies in force (each policy asset's ``active`` version) with their rules."""
        ...

    def test_policy(
        self, policy: str, subject: str | Mapping[str, Any], *, operation: str = "register",
        target: Mapping[str, Any] | None = None,
    ) -> PolicyTest:
        """Dry-run the policy ``policy`` (a reference) over ``subject`` (a registered version's
        reference, or a document as ``register`` takes it) for ``operation`` (``register``,
        ``update_labels``, ``change_status``, ``move_alias``, ``delete``; ``target`` its target,
        e.g. ``{"alias": "production"}``): each rule's outcome. Changes nothing."""
        ...

    def approvals(self, *, state: str | None = None) -> list[Approval]:
        """Approval requests, oldest first (``state``: pending, approved, rejected, failed);
        without ``policies:read``, only one's own."""
        ...

    def approval(self, approval_id: str) -> Approval:
        """One approval request; raises NotFoundError (``approval_not_found``)."""
        ...

    def approve(self, approval_id: str, *, comment: str | None = None) -> Approval:
        """Approve a pending request and carry its change out (``result``). Raises ForbiddenError
        (``self_approval``; without ``policies:manage``), ConflictError (``approval_decided``;
        ``approval_not_applicable`` when the change no longer applies: the request is failed)."""
        ...

    def reject(self, approval_id: str, *, comment: str) -> Approval:
        """Reject a pending request, saying why; nothing changes."""
    # ----------------------------------------------------------- evaluations
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
        """Record the scores of the version ``subject`` chooses on a test suite version (with
        the dataset and prompt versions it ran with): ``metrics`` maps names
        (``[A-Za-z_][A-Za-z0-9_.-]*``, at most 64) to finite numbers, at least one; ``details``
        is a JSON object of your own. Ranges and aliases are resolved: the evaluation keeps the
        exact versions. Raises ValidationError naming the field (``metrics.accuracy``,
        ``suite``: not a test suite, …), NotFoundError, ForbiddenError (needs
        ``evaluations:record``)."""
        ...

    def evaluations(
        self, *, subject: str | None = None, suite: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Evaluation]:
        """Evaluations newest first: of the version ``subject`` chooses, on ``suite`` (without a
        selector every version of the suite, a range every version in it), or both."""
        ...

    def evaluation(self, evaluation_id: str) -> Evaluation:
        """One evaluation by id; raises NotFoundError (``evaluation_not_found``)."""
        ...

    def compare_evaluations(self, refs: Sequence[str], *, suite: str) -> EvaluationComparison:
        """Versions side by side on a suite (as ``evaluations`` matches it): each version's
        newest evaluation there (None when it has none), its metrics, and each metric minus the
        first version's."""
        ...

    def close(self) -> None:
        """Release connections (idempotent)."""
        ...

    def __enter__(self) -> Registry: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


__all__ = ["ManifestInput", "Registry"]
