"""The asset service: every rule of registering, reading and changing versions.

Transports (Python API, CLI, REST) call these methods and only adapt their inputs and
outputs. Every change writes its event in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from llm_registry.assets import documents
from llm_registry.assets.interfaces import (
    AssetListRow,
    AssetRow,
    AssetStore,
    AssetWriter,
    DependencyRow,
    VersionRow,
)
from llm_registry.assets.models import (
    Alias,
    AssetSummary,
    LabelRevision,
    Labels,
    Manifest,
    Page,
    Status,
    VersionDocument,
    VersionSummary,
)
from llm_registry.assets.resolution import find_by_reference, get_by_reference, get_pin_target
from llm_registry.assets.validation import validate_spec
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.digests import digest_of
from llm_registry.domain.ids import new_id
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import DEFAULT_NAMESPACE, AssetName, parse_alias, parse_name, validate_namespace
from llm_registry.domain.references import LATEST, Reference, SelectorType, parse_reference
from llm_registry.domain.times import parse_time, utc_now
from llm_registry.domain.versions import parse_version, sort_key, version_key
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.events.models import Event, EventType
from llm_registry.prompts.templates import render_prompt
from llm_registry.search.interfaces import SearchIndexer

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class LabelChanges:
    """A label update: ``None`` leaves a field alone; ``""`` clears description or license."""

    description: str | None = None
    license: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    annotations: Mapping[str, str | None] = field(default_factory=dict)  # value None removes the key


def _page_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", code="invalid_parameter", field="limit")
    return limit


class AssetService:
    """Registers, finds and changes versions; raises the errors of ``llm_registry.errors``."""

    def __init__(
        self,
        store: AssetStore,
        *,
        default_namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], str] = utc_now,
        search_index: SearchIndexer | None = None,
    ) -> None:
        self.store = store
        # Kept current inside each write transaction, so search never lags the data.
        self.search_index = search_index
        self.default_namespace = validate_namespace(default_namespace, field="default_namespace")
        self.clock = clock

    # ------------------------------------------------------------ references
    def parse_reference(self, ref: str | Reference, *, field: str = "ref", kind: Kind | None = None) -> Reference:
        if isinstance(ref, Reference):
            return ref
        return parse_reference(ref, field=field, default_namespace=self.default_namespace, kind=kind)

    def _asset_ref(self, ref: str | Reference, field: str = "ref") -> Reference:
        parsed = self.parse_reference(ref, field=field)
        if parsed.selector is not None:
            raise ValidationError(
                f"expected an asset reference without selector, got {str(parsed)!r}",
                code="invalid_reference",
                field=field,
            )
        return parsed

    # ---------------------------------------------------------- registration
    def register(self, manifest: Mapping[str, Any] | Manifest, *, actor: str) -> tuple[VersionDocument, bool]:
        """Register a version; returns (document, created). Idempotent for an identical document.

        Raises ValidationError (bad input, ``dependency_cycle``), NotFoundError
        (``dependency_not_found``) or ConflictError (``version_conflict``).
        """
        parsed = documents.parse_manifest(manifest)
        name = parse_name(parsed.name, default_namespace=self.default_namespace)
        version = parse_version(parsed.version)
        validate_spec(parsed.kind, parsed.spec)
        dependency_refs = [
            self.parse_reference(d.ref, field=f"dependencies[{i}].ref") for i, d in enumerate(parsed.dependencies)
        ]
        fields = documents.immutable_fields(parsed, str(name))
        document_digest = digest_of(fields)
        digest = documents.content_digest(parsed, document_digest)
        for attempt in range(3):
            try:
                return self._register(parsed, name, version, dependency_refs, fields, document_digest, digest, actor)
            except sa.exc.IntegrityError:
                # A concurrent writer (another process, or PostgreSQL) inserted the same
                # asset or version first: run again, now seeing its row.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _register(
        self,
        parsed: Manifest,
        name: AssetName,
        version: Any,
        dependency_refs: list[Reference],
        fields: dict[str, Any],
        document_digest: str,
        digest: str,
        actor: str,
    ) -> tuple[VersionDocument, bool]:
        kind = parsed.kind
        namespace, asset_name = name
        key = version_key(version)
        with self.store.write() as tx:
            existing = tx.find_version(kind, name, key)
            if existing is not None:
                if existing.document_digest == document_digest and existing.version == parsed.version:
                    return documents.to_document(existing), False
                raise ConflictError(
                    f"{kind.value}:{name}@{existing.version} is already registered with different immutable fields"
                    " (spec, content, dependencies, provenance or build metadata); register a new version",
                    code="version_conflict",
                    field="version",
                )
            pins: list[dict[str, Any]] = []
            dependency_rows: list[DependencyRow] = []
            for position, (ref, declared) in enumerate(zip(dependency_refs, parsed.dependencies, strict=True)):
                target = get_pin_target(tx, ref, code="dependency_not_found", field=f"dependencies[{position}].ref")
                pins.append(
                    {
                        "ref": declared.ref,
                        "relation": declared.relation.value,
                        "version": target.version,
                        "digest": target.digest,
                    }
                )
                dependency_rows.append(
                    DependencyRow(
                        position,
                        declared.ref,
                        declared.relation.value,
                        target.asset_id,
                        target.id,
                        target.version,
                        target.digest,
                    )
                )
            now = self.clock()
            asset, created = tx.get_or_create_asset(AssetRow(new_id(), kind, namespace, asset_name, now, actor))
            if not created and dependency_rows:
                tx.lock_dependency_graph()
                self._refuse_cycle(tx, asset, [d.target_asset_id for d in dependency_rows])
            sk = sort_key(version)
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
                is_prerelease=bool(version.prerelease),
                status=Status.ACTIVE.value,
                status_message=None,
                replacement=None,
                digest=digest,
                document_digest=document_digest,
                spec=parsed.spec,
                # As the document digest saw them (documents.immutable_fields).
                content=fields["content"],
                dependencies=fields["dependencies"],
                pins=pins,
                provenance=parsed.provenance,
                labels=labels,
                revision=1,
                created_at=now,
                created_by=actor,
                updated_at=now,
            )
            tx.insert_version(row, dependency_rows)
            if self.search_index is not None:
                self.search_index.index_version(tx, row, [d.target_asset_id for d in dependency_rows])
            subject = f"{kind.value}:{name}@{parsed.version}"
            tx.append_event(
                type=EventType.ASSET_REGISTERED,
                subject=subject,
                asset=f"{kind.value}:{name}",
                actor=actor,
                at=now,
                payload={
                    "version": parsed.version,
                    "digest": digest,
                    "before": None,
                    "after": {"status": Status.ACTIVE.value, "pins": pins, "labels": labels},
                },
            )
            return documents.to_document(row), True

    def _refuse_cycle(self, tx: AssetWriter, asset: AssetRow, targets: list[str]) -> None:
        path = tx.find_asset_path(sorted(set(targets)), asset.id)
        if path is None:
            return
        names = tx.describe_assets([asset.id, *path])
        cycle = " -> ".join(names[a] for a in [asset.id, *path])
        raise ValidationError(
            f"registering this version would make the dependency graph cyclic: {cycle}",
            code="dependency_cycle",
            field="dependencies",
            details={"cycle": [names[a] for a in [asset.id, *path]]},
        )

    # ----------------------------------------------------------------- reads
    def get(self, ref: str | Reference, *, as_of: str | None = None) -> VersionDocument:
        """The version ``ref`` chooses (labels as of ``as_of`` when given); raises NotFoundError."""
        parsed = self.parse_reference(ref)
        with self.store.read() as tx:
            row = get_by_reference(tx, parsed)
            if as_of is None:
                return documents.to_document(row)
            moment = parse_time(as_of, field="as_of")
            revisions = [r for r in tx.list_label_revisions(row.id) if r.created_at <= moment]
        if not revisions:
            raise NotFoundError(
                f"{parsed.asset}@{row.version} did not exist at {moment}", code="version_not_found", field="as_of"
            )
        return documents.to_document(row, labels=revisions[-1].labels)

    def resolve(self, ref: str | Reference) -> VersionDocument:
        """The version a reference chooses; same rules as ``get``."""
        return self.get(ref)

    def get_asset(self, ref: str | Reference) -> AssetSummary:
        """An asset with its aliases, latest version and version count; raises NotFoundError."""
        parsed = self._asset_ref(ref)
        with self.store.read() as tx:
            rows = tx.list_assets(
                kind=parsed.kind, namespace=parsed.name.namespace, name=parsed.name.name, after=None, limit=1
            )
        if not rows:
            raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
        return _summary(rows[0])

    def list_assets(
        self,
        *,
        kind: Kind | str | None = None,
        namespace: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[AssetSummary]:
        """A page of assets ordered by kind, namespace, name."""
        parsed_kind = parse_kind(kind) if kind is not None else None
        if namespace is not None:
            validate_namespace(namespace)
        after = decode_cursor(cursor, arity=3, types=(str, str, str)) if cursor else None
        limit = _page_limit(limit)
        with self.store.read() as tx:
            rows = tx.list_assets(
                kind=parsed_kind,
                namespace=namespace,
                name=None,
                after=(after[0], after[1], after[2]) if after else None,
                limit=limit + 1,
            )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1].asset
            next_cursor = encode_cursor([last.kind.value, last.namespace, last.name])
        return Page[AssetSummary](items=[_summary(r) for r in rows[:limit]], next_cursor=next_cursor)

    def list_versions(
        self, ref: str | Reference, *, cursor: str | None = None, limit: int = 100
    ) -> Page[VersionSummary]:
        """An asset's versions in descending SemVer precedence; raises NotFoundError for an unknown asset."""
        parsed = self._asset_ref(ref)
        before = decode_cursor(cursor, arity=4, types=(int, int, int, str)) if cursor else None
        limit = _page_limit(limit)
        with self.store.read() as tx:
            asset = tx.find_asset(parsed.kind, parsed.name)
            if asset is None:
                raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
            rows = tx.list_versions(
                asset.id, before=(before[0], before[1], before[2], before[3]) if before else None, limit=limit + 1
            )
        items = [
            VersionSummary(
                version=r.version,
                digest=r.digest,
                status=Status(r.status),
                created_at=r.created_at,
                created_by=r.created_by,
                aliases=r.aliases,
            )
            for r in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor([last.major, last.minor, last.patch, last.prerelease_key])
        return Page[VersionSummary](items=items, next_cursor=next_cursor)

    def list_label_history(self, ref: str | Reference) -> list[LabelRevision]:
        """Every label revision of a version, oldest first."""
        parsed = self.parse_reference(ref)
        with self.store.read() as tx:
            row = get_by_reference(tx, parsed)
            revisions = tx.list_label_revisions(row.id)
        return [
            LabelRevision(
                revision=r.revision,
                labels=Labels.model_validate(r.labels),
                created_at=r.created_at,
                created_by=r.created_by,
            )
            for r in revisions
        ]

    # ---------------------------------------------------------------- labels
    def update_labels(self, ref: str | Reference, changes: LabelChanges, *, actor: str) -> VersionDocument:
        """Apply label changes as a new revision (no revision when nothing changes)."""
        parsed = self.parse_reference(ref)
        with self.store.write() as tx:
            row = get_by_reference(tx, parsed)
            before = row.labels
            after = _apply_label_changes(before, changes)
            if after == before:
                return documents.to_document(row)
            now = self.clock()
            row.revision += 1
            row.labels = after
            row.updated_at = now
            tx.update_labels(row.id, after, row.revision, now, actor)
            if self.search_index is not None:
                self.search_index.update_version(tx, row)
            tx.append_event(
                type=EventType.ASSET_LABELS_UPDATED,
                subject=_subject(row),
                asset=_asset_text(row),
                actor=actor,
                at=now,
                payload={"revision": row.revision, "before": before, "after": after},
            )
            return documents.to_document(row)

    # ---------------------------------------------------------------- status
    def deprecate(
        self, ref: str | Reference, *, message: str | None = None, replacement: str | None = None, actor: str
    ) -> VersionDocument:
        """Mark a version deprecated (it stays choosable by ranges); raises ConflictError when yanked."""
        if replacement is not None:
            replacement = str(self.parse_reference(replacement, field="replacement"))
        return self._change_status(
            ref,
            Status.DEPRECATED,
            message,
            replacement,
            actor,
            allowed_from=(Status.ACTIVE, Status.DEPRECATED),
            event=EventType.ASSET_DEPRECATED,
        )

    def yank(self, ref: str | Reference, *, reason: str | None = None, actor: str) -> VersionDocument:
        """Yank a version: kept and fetchable by exact version, never chosen by a range or ``latest``."""
        return self._change_status(
            ref,
            Status.YANKED,
            reason,
            None,
            actor,
            allowed_from=(Status.ACTIVE, Status.DEPRECATED),
            event=EventType.ASSET_YANKED,
        )

    def restore(self, ref: str | Reference, *, actor: str) -> VersionDocument:
        """Make a deprecated or yanked version active again."""
        return self._change_status(
            ref,
            Status.ACTIVE,
            None,
            None,
            actor,
            allowed_from=(Status.DEPRECATED, Status.YANKED),
            event=EventType.ASSET_RESTORED,
        )

    def _change_status(
        self,
        ref: str | Reference,
        status: Status,
        message: str | None,
        replacement: str | None,
        actor: str,
        *,
        allowed_from: tuple[Status, ...],
        event: EventType,
    ) -> VersionDocument:
        if message is not None and len(message) > 4096:
            # Named as the caller named it: yank takes a reason, deprecate a message.
            field = "reason" if status is Status.YANKED else "message"
            raise ValidationError(f"{field} is longer than 4096 characters", code="invalid_parameter", field=field)
        parsed = self.parse_reference(ref)
        with self.store.write() as tx:
            row = get_by_reference(tx, parsed)
            current = Status(row.status)
            if current not in allowed_from:
                raise ConflictError(
                    f"{_subject(row)} is {current.value}; cannot make it {status.value}",
                    code="invalid_status_change",
                    field="status",
                )
            before = {"status": row.status, "message": row.status_message, "replacement": row.replacement}
            after = {"status": status.value, "message": message, "replacement": replacement}
            if before == after:
                return documents.to_document(row)
            now = self.clock()
            tx.update_status(row.id, status.value, message, replacement, now)
            row.status, row.status_message, row.replacement, row.updated_at = status.value, message, replacement, now
            if self.search_index is not None:
                self.search_index.update_version(tx, row)
            tx.append_event(
                type=event,
                subject=_subject(row),
                asset=_asset_text(row),
                actor=actor,
                at=now,
                payload={"before": before, "after": after},
            )
            return documents.to_document(row)

    def delete(self, ref: str | Reference, *, force: bool = False, actor: str) -> VersionDocument:
        """Delete a version; raises ConflictError (``has_dependents``) while others pin it, unless forced."""
        parsed = self.parse_reference(ref)
        if parsed.selector_type is not SelectorType.VERSION:
            raise ValidationError("delete needs an exact version", code="invalid_reference", field="ref")
        with self.store.write() as tx:
            row = get_by_reference(tx, parsed)
            dependents = [f"{d.kind.value}:{d.namespace}/{d.name}@{d.version}" for d in tx.list_dependents(row.id)]
            if dependents and not force:
                raise ConflictError(
                    f"{_subject(row)} is pinned by {len(dependents)} version(s): {', '.join(dependents[:10])}"
                    + (" …" if len(dependents) > 10 else "")
                    + "; delete with force to leave their pins dangling",
                    code="has_dependents",
                    field="ref",
                    details={"dependents": dependents},
                )
            if self.search_index is not None:
                self.search_index.remove_version(tx, row)
            tx.delete_version(row)
            now = self.clock()
            tx.append_event(
                type=EventType.ASSET_DELETED,
                subject=_subject(row),
                asset=_asset_text(row),
                actor=actor,
                at=now,
                payload={
                    "version": row.version,
                    "digest": row.digest,
                    "forced": force,
                    "dependents": dependents,
                    "aliases": row.aliases,
                    "before": {"status": row.status, "labels": row.labels},
                    "after": None,
                },
            )
            return documents.to_document(row)

    # --------------------------------------------------------------- aliases
    def set_alias(self, ref: str | Reference, alias: str, version: str, *, actor: str) -> Alias:
        """Point ``alias`` at an exact version of the asset (``latest`` is implicit and cannot be set)."""
        parsed = self._asset_ref(ref)
        alias = parse_alias(alias)
        if alias == LATEST:
            raise ValidationError(
                "'latest' is implicit: the highest active release", code="invalid_alias", field="alias"
            )
        target_ref = parsed.with_version(str(parse_version(version, field="version")))
        with self.store.write() as tx:
            row = get_by_reference(tx, target_ref)
            if row.status == Status.YANKED.value:
                raise ConflictError(
                    f"{_subject(row)} is yanked; an alias cannot point at it",
                    code="invalid_status_change",
                    field="version",
                )
            current = tx.find_version_by_alias(parsed.kind, parsed.name, alias)
            now = self.clock()
            if current is not None and current.id == row.id:
                # Already there: answer with the move that put it there, not a new one.
                stored = next(a for a in tx.list_aliases(row.asset_id) if a.name == alias)
                return Alias(
                    name=alias, version=row.version, updated_at=stored.updated_at, updated_by=stored.updated_by
                )
            tx.set_alias(row.asset_id, alias, row.id, now, actor)
            tx.append_event(
                type=EventType.ALIAS_MOVED,
                subject=f"{parsed.asset}@{alias}",
                asset=parsed.asset,
                actor=actor,
                at=now,
                payload={"alias": alias, "before": current.version if current else None, "after": row.version},
            )
        return Alias(name=alias, version=row.version, updated_at=now, updated_by=actor)

    def remove_alias(self, ref: str | Reference, alias: str, *, actor: str) -> None:
        """Remove an alias; raises NotFoundError (``alias_not_found``)."""
        parsed = self._asset_ref(ref)
        alias = parse_alias(alias)
        with self.store.write() as tx:
            current = tx.find_version_by_alias(parsed.kind, parsed.name, alias)
            if current is None:
                get_by_reference(tx, Reference(parsed.kind, parsed.name, SelectorType.ALIAS, alias))
                return
            tx.delete_alias(current.asset_id, alias)
            tx.append_event(
                type=EventType.ALIAS_REMOVED,
                subject=f"{parsed.asset}@{alias}",
                asset=parsed.asset,
                actor=actor,
                at=self.clock(),
                payload={"alias": alias, "before": current.version, "after": None},
            )

    def list_aliases(self, ref: str | Reference) -> list[Alias]:
        """The asset's aliases, with the implicit ``latest`` first when there is a release."""
        parsed = self._asset_ref(ref)
        with self.store.read() as tx:
            asset = tx.find_asset(parsed.kind, parsed.name)
            if asset is None:
                raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
            latest = find_by_reference(tx, parsed)
            rows = tx.list_aliases(asset.id)
        out = [Alias(name=LATEST, version=latest.version, implicit=True)] if latest else []
        out.extend(
            Alias(name=r.name, version=r.version, updated_at=r.updated_at, updated_by=r.updated_by) for r in rows
        )
        return out

    # ---------------------------------------------------------------- events
    def list_events(
        self,
        *,
        after: str | None = None,
        types: Sequence[str] = (),
        subject: str | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
    ) -> Page[Event]:
        """Events after the cursor ``after``, oldest first; ``next_cursor`` is where to read on."""
        start = _event_after(after)
        limit = _page_limit(limit)
        for event_type in types:
            # Any name shaped like an event type (``area.action``): one not emitted yet matches none.
            if not _EVENT_TYPE.fullmatch(event_type):
                raise ValidationError(
                    f"invalid event type {event_type!r}: like asset.registered (see docs/concepts.md)",
                    code="invalid_parameter",
                    field="type",
                )
        since = parse_time(since, field="since") if since else None
        until = parse_time(until, field="until") if until else None
        if subject:
            # Written like any reference: `model:solo` is `model:default/solo`.
            subject = str(self.parse_reference(subject, field="subject"))
        with self.store.read() as tx:
            items = tx.list_events(
                after=start, types=list(types), subject=subject, actor=actor, since=since, until=until, limit=limit
            )
        # The cursor always moves on (to the last event read) so a follower polls from there.
        next_cursor = items[-1].cursor if items else (after or "0")
        return Page[Event](items=items, next_cursor=next_cursor)

    # --------------------------------------------------------------- prompts
    def render(self, ref: str | Reference, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Render a prompt version with ``variables``: ``{"text"}`` or ``{"messages"}``."""
        parsed = self.parse_reference(ref)
        if parsed.kind is not Kind.PROMPT:
            raise ValidationError(f"{parsed} is not a prompt", code="not_a_prompt", field="ref")
        document = self.get(parsed)
        return render_prompt(document.spec, dict(variables))


def _summary(row: AssetListRow) -> AssetSummary:
    return AssetSummary(
        kind=row.asset.kind,
        name=f"{row.asset.namespace}/{row.asset.name}",
        id=row.asset.id,
        created_at=row.asset.created_at,
        created_by=row.asset.created_by,
        latest=row.latest,
        version_count=row.version_count,
        aliases=row.aliases,
    )


def _subject(row: VersionRow) -> str:
    return f"{row.kind.value}:{row.namespace}/{row.name}@{row.version}"


def _asset_text(row: VersionRow) -> str:
    return f"{row.kind.value}:{row.namespace}/{row.name}"


def _apply_label_changes(current: Mapping[str, Any], changes: LabelChanges) -> dict[str, Any]:
    data = dict(current)
    if changes.description is not None:
        data["description"] = changes.description or None
    if changes.license is not None:
        data["license"] = changes.license or None
    tags = [t for t in data.get("tags", []) if t not in set(changes.remove_tags)]
    tags.extend(t for t in changes.add_tags if t not in tags)
    data["tags"] = tags
    annotations = dict(data.get("annotations", {}))
    for key, value in changes.annotations.items():
        if value is None:
            annotations.pop(key, None)
        else:
            annotations[key] = value
    data["annotations"] = annotations
    return documents.validate_labels(data)


_EVENT_TYPE = re.compile(r"[a-z][a-z_]{0,31}\.[a-z][a-z_]{0,31}")


def _event_after(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit() or int(cursor) >= 2**63:
        raise ValidationError(f"invalid event cursor {cursor!r}", code="invalid_cursor", field="after")
    return int(cursor)
