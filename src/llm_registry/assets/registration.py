"""Registering versions (§3.1): one document, its pins, its search entry and its event in one
transaction; identical documents are idempotent; the same version with other immutable fields
is a conflict; a registration that would close a dependency cycle is refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetRow, AssetWriter, DependencyRow, PinTarget, VersionRow
from llm_registry.assets.models import Manifest, Status, VersionDocument
from llm_registry.assets.resolution import get_pin_target
from llm_registry.assets.validation import validate_spec
from llm_registry.domain.access import Actor
from llm_registry.domain.digests import digest_of
from llm_registry.domain.ids import new_id
from llm_registry.domain.names import AssetName, parse_name
from llm_registry.domain.references import Reference
from llm_registry.domain.versions import Version, parse_version, sort_key, version_key
from llm_registry.errors import ConcurrentWriteError, ConflictError, ValidationError
from llm_registry.events.models import EventType

if TYPE_CHECKING:
    from llm_registry.governance.gate import Change

_Indexing = tuple[VersionRow, list[str]]  # a new version and the asset ids it pins
# The version a dependency pins: (its reference, the error code and field when none matches).
PinChooser = Callable[[Reference, str, str], PinTarget]
# A concurrent writer (another process, or another PostgreSQL connection) that inserts the
# same asset or version first makes ours fail on a unique key: running again sees its row.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document checked outside any transaction: what registering it needs from the database
    is only the pins and whether the version exists."""

    manifest: Manifest
    name: AssetName
    version: Version
    dependency_refs: list[Reference]
    fields: dict[str, Any]
    document_digest: str
    digest: str


class RegistrationService:
    """Registers versions; raises the errors of ``llm_registry.errors``."""

    def __init__(self, context: AssetContext) -> None:
        self.context = context

    def prepare(self, manifest: Mapping[str, Any] | Manifest) -> PreparedDocument:
        """Parse and check a document (schema, names, references, digests) without the database;
        raises ValidationError naming the field."""
        parsed = documents.parse_manifest(manifest)
        name = parse_name(parsed.name, default_namespace=self.context.default_namespace)
        version = parse_version(parsed.version)
        validate_spec(parsed.kind, parsed.spec)
        dependency_refs = [
            self.context.parse_reference(d.ref, field=f"dependencies[{i}].ref")
            for i, d in enumerate(parsed.dependencies)
        ]
        fields = documents.immutable_fields(parsed, str(name))
        document_digest = digest_of(fields)
        digest = documents.content_digest(parsed, document_digest)
        return PreparedDocument(parsed, name, version, dependency_refs, fields, document_digest, digest)

    def register(
        self, manifest: Mapping[str, Any] | Manifest, *, actor: Actor, approval: str | None = None
    ) -> tuple[VersionDocument, bool]:
        """Register a version; returns (document, created). Idempotent for an identical document.
        The document lists the warnings of the policies in force (``warnings``).

        Raises ValidationError (bad input, ``dependency_cycle``), NotFoundError
        (``dependency_not_found``), ConflictError (``version_conflict``), ForbiddenError,
        PolicyDeniedError or ApprovalRequiredError. ``approval``: the approved request this
        registration carries out.
        """
        prepared = self.prepare(manifest)
        self.context.authorize(actor, "assets:create", namespace=prepared.name.namespace)
        for attempt in range(_ATTEMPTS):
            try:
                warnings: list[str] = []
                with self.context.governed(), self.context.store.write() as tx:
                    row, created, _ = self.register_in(tx, prepared, actor, approval=approval, warnings=warnings)
                document = documents.to_document(row)
                return (document.model_copy(update={"warnings": warnings}) if warnings else document), created
            except ConcurrentWriteError:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def register_in(
        self,
        tx: AssetWriter,
        prepared: PreparedDocument,
        actor: Actor,
        *,
        index: bool = True,
        choose_pin: PinChooser | None = None,
        approval: str | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[VersionRow, bool, _Indexing | None]:
        """Register ``prepared`` inside the write transaction ``tx`` (which commits or rolls back
        everything it holds): (the version's row, created, what the search index still needs
        when ``index`` is false and the version is new). ``index`` false is a batch's
        registration. ``choose_pin`` chooses the version of each dependency (default:
        ``get_pin_target`` on ``tx``). The policies' warnings are added to ``warnings``."""
        if choose_pin is None:
            def choose_pin(ref: Reference, code: str, field: str) -> PinTarget:
                return get_pin_target(tx, ref, code=code, field=field)

        parsed = prepared.manifest
        kind = parsed.kind
        name = prepared.name
        key = version_key(prepared.version)
        existing = tx.find_version(kind, name, key)
        if existing is not None:
            if existing.document_digest == prepared.document_digest and existing.version == parsed.version:
                return existing, False, None
            raise ConflictError(
                f"{kind.value}:{name}@{existing.version} is already registered with different immutable fields"
                " (spec, content, dependencies, provenance or build metadata); register a new version",
                code="version_conflict",
                field="version",
            )
        found = self.context.check_policies(
            tx, lambda: registration_change(prepared), actor, approval=approval, batched=not index
        )
        if warnings is not None:
            warnings.extend(found)
        pins: list[dict[str, Any]] = []
        dependency_rows: list[DependencyRow] = []
        for position, (ref, declared) in enumerate(zip(prepared.dependency_refs, parsed.dependencies, strict=True)):
            target = choose_pin(ref, "dependency_not_found", f"dependencies[{position}].ref")
            relation = declared.relation.value
            pins.append({"ref": declared.ref, "relation": relation, "version": target.version, "digest": target.digest})
            dependency_rows.append(
                DependencyRow(
                    position, declared.ref, relation, target.asset_id, target.id, target.version, target.digest
                )
            )
        now = self.context.now()
        recorded = actor.name
        namespace, asset_name = name
        asset, created = tx.get_or_create_asset(AssetRow(new_id(), kind, namespace, asset_name, now, recorded))
        if not created and dependency_rows:
            tx.lock_dependency_graph()
            _refuse_cycle(tx, asset, [d.target_asset_id for d in dependency_rows])
        sk = sort_key(prepared.version)
        labels = parsed.labels.model_dump(mode="json")
        row = VersionRow(
            id=new_id(),
            asset_id=asset.id,
            kind=kind,
            namespace=namespace,
            name=asset_name,
            version=parsed.version,
            version_key=key,
            major=sk.major,
            minor=sk.minor,
            patch=sk.patch,
            prerelease_key=sk.prerelease,
            is_prerelease=bool(prepared.version.prerelease),
            status=Status.ACTIVE.value,
            status_message=None,
            replacement=None,
            digest=prepared.digest,
            document_digest=prepared.document_digest,
            spec=parsed.spec,
            # As the document digest saw them (documents.immutable_fields).
            content=prepared.fields["content"],
            dependencies=prepared.fields["dependencies"],
            pins=pins,
            provenance=parsed.provenance,
            labels=labels,
            revision=1,
            created_at=now,
            created_by=recorded,
            updated_at=now,
        )
        tx.insert_version(row, dependency_rows)
        pinned = [d.target_asset_id for d in dependency_rows]
        search_index = self.context.search_index
        if search_index is not None and index:
            search_index.index_version(tx, row, pinned)
        tx.append_event(
            type=EventType.ASSET_REGISTERED,
            subject=f"{kind.value}:{name}@{parsed.version}",
            asset=f"{kind.value}:{name}",
            actor=recorded,
            at=now,
            payload={
                "version": parsed.version,
                "digest": prepared.digest,
                "before": None,
                "after": {"status": Status.ACTIVE.value, "pins": pins, "labels": labels},
                **({"policy_warnings": found} if found else {}),
            },
        )
        if self.context.policy is not None:
            self.context.policy.registered(tx, namespace, now, batched=not index)
        return row, True, None if index else (row, pinned)


def registration_change(prepared: PreparedDocument) -> Change:
    """The registration as policy rules see it."""
    from llm_registry.governance.gate import Change, asset_view
    from llm_registry.governance.policies import Operation

    parsed = prepared.manifest
    namespace, name = prepared.name

    def asset() -> dict[str, Any]:
        return asset_view(
            kind=parsed.kind, namespace=namespace, name=name, version=parsed.version, spec=parsed.spec,
            labels=parsed.labels.model_dump(mode="json"), status=Status.ACTIVE.value,
            content=prepared.fields["content"], dependencies=prepared.fields["dependencies"], created_by=None,
            digest=prepared.digest,
        )

    return Change(
        operation=Operation.REGISTER, kind=parsed.kind, namespace=namespace,
        subject=f"{parsed.kind.value}:{namespace}/{name}@{parsed.version}", asset=asset,
        request=lambda: {"manifest": parsed.model_dump(mode="json", exclude_none=True)},
    )


def _refuse_cycle(tx: AssetWriter, asset: AssetRow, targets: list[str]) -> None:
    path = tx.find_asset_path(sorted(set(targets)), asset.id)
    if path is None:
        return
    names = tx.describe_assets([asset.id, *path])
    cycle = [names[a] for a in [asset.id, *path]]
    raise ValidationError(
        f"registering this version would make the dependency graph cyclic: {' -> '.join(cycle)}",
        code="dependency_cycle",
        field="dependencies",
        details={"cycle": cycle},
    )
