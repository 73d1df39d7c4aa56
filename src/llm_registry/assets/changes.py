"""Changing versions: labels as new revisions, status (deprecate, yank, restore), delete.

Every change is checked against the actor's rights on the version (its namespace, who created
it) and writes its event in the same transaction; a change that changes nothing writes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetWriter, VersionRow
from llm_registry.assets.models import Status, VersionDocument
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.access import Actor
from llm_registry.domain.references import Reference, SelectorType
from llm_registry.errors import ConflictError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.governance.policies import Operation

if TYPE_CHECKING:
    from llm_registry.governance.gate import Change

MAX_STATUS_MESSAGE = 4096


@dataclass(frozen=True, slots=True)
class LabelChanges:
    """A label update: ``None`` leaves a field alone; ``""`` clears description, license or card.

    ``tags``, when given, replaces the whole list (then ``add_tags``/``remove_tags`` apply to
    it); ``clear_annotations`` removes every annotation before ``annotations`` are merged in
    (an annotation set to None is removed)."""

    description: str | None = None
    license: str | None = None
    card: str | None = None
    tags: tuple[str, ...] | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    annotations: Mapping[str, str | None] = field(default_factory=dict)
    clear_annotations: bool = False


class ChangeService:
    """Labels, status and deletion of versions; raises the errors of ``llm_registry.errors``."""

    def __init__(self, context: AssetContext) -> None:
        self.context = context

    # ---------------------------------------------------------------- labels
    def update_labels(
        self, ref: str | Reference, changes: LabelChanges, *, actor: Actor, approval: str | None = None
    ) -> VersionDocument:
        """Apply label changes as a new revision (no revision when nothing changes)."""
        parsed = self.context.parse_reference(ref)
        with self.context.governed(), self.context.store.write() as tx:
            row = locked_version(tx, parsed)
            self.context.authorize(actor, "assets:update", namespace=row.namespace, owner=row.created_by)
            before = row.labels
            after = apply_label_changes(before, changes)
            if after == before:
                return documents.to_document(row)
            warnings = self.context.check_policies(
                tx,
                lambda: change_of(
                    row, Operation.UPDATE_LABELS, labels=after, target={"before": before, "after": after},
                    request={"ref": subject_of(row), "changes": label_changes_json(changes)},
                ),
                actor, approval=approval,
            )
            now = self.context.now()
            row.revision += 1
            row.labels = after
            row.updated_at = now
            tx.update_labels(row.id, after, row.revision, now, actor.name)
            if self.context.search_index is not None:
                self.context.search_index.update_version(tx, row)
            tx.append_event(
                type=EventType.ASSET_LABELS_UPDATED,
                subject=subject_of(row),
                asset=asset_of(row),
                actor=actor.name,
                at=now,
                payload={"revision": row.revision, "before": before, "after": after, **_warned(warnings)},
            )
            return _with_warnings(documents.to_document(row), warnings)

    # ---------------------------------------------------------------- status
    def deprecate(
        self, ref: str | Reference, *, message: str | None = None, replacement: str | None = None, actor: Actor,
        approval: str | None = None,
    ) -> VersionDocument:
        """Mark a version deprecated (it stays choosable by ranges); raises ConflictError when yanked."""
        if replacement is not None:
            replacement = str(self.context.parse_reference(replacement, field="replacement"))
        return self._change_status(
            ref, Status.DEPRECATED, message, replacement, actor,
            allowed_from=(Status.ACTIVE, Status.DEPRECATED), event=EventType.ASSET_DEPRECATED, approval=approval,
        )

    def yank(
        self, ref: str | Reference, *, reason: str | None = None, actor: Actor, approval: str | None = None
    ) -> VersionDocument:
        """Yank a version: kept and fetchable by exact version, never chosen by a range or ``latest``."""
        return self._change_status(
            ref, Status.YANKED, reason, None, actor,
            allowed_from=(Status.ACTIVE, Status.DEPRECATED), event=EventType.ASSET_YANKED, approval=approval,
        )

    def restore(self, ref: str | Reference, *, actor: Actor, approval: str | None = None) -> VersionDocument:
        """Make a deprecated or yanked version active again."""
        return self._change_status(
            ref, Status.ACTIVE, None, None, actor,
            allowed_from=(Status.DEPRECATED, Status.YANKED), event=EventType.ASSET_RESTORED, approval=approval,
        )

    def _change_status(
        self,
        ref: str | Reference,
        status: Status,
        message: str | None,
        replacement: str | None,
        actor: Actor,
        *,
        allowed_from: tuple[Status, ...],
        event: EventType,
        approval: str | None = None,
    ) -> VersionDocument:
        if message is not None and len(message) > MAX_STATUS_MESSAGE:
            # Named as the caller named it: yank takes a reason, deprecate a message.
            name = "reason" if status is Status.YANKED else "message"
            raise ValidationError(
                f"{name} is longer than {MAX_STATUS_MESSAGE} characters", code="invalid_parameter", field=name
            )
        parsed = self.context.parse_reference(ref)
        with self.context.governed(), self.context.store.write() as tx:
            row = locked_version(tx, parsed)
            self.context.authorize(actor, "assets:update", namespace=row.namespace, owner=row.created_by)
            current = Status(row.status)
            if current not in allowed_from:
                raise ConflictError(
                    f"{subject_of(row)} is {current.value}; cannot make it {status.value}",
                    code="invalid_status_change",
                    field="status",
                )
            before = {"status": row.status, "message": row.status_message, "replacement": row.replacement}
            after = {"status": status.value, "message": message, "replacement": replacement}
            if before == after:
                return documents.to_document(row)
            warnings = self.context.check_policies(
                tx,
                lambda: change_of(
                    row, Operation.CHANGE_STATUS, target={"before": before, **after},
                    request={"ref": subject_of(row), **after},
                ),
                actor, approval=approval,
            )
            now = self.context.now()
            tx.update_status(row.id, status.value, message, replacement, now)
            row.status, row.status_message, row.replacement, row.updated_at = status.value, message, replacement, now
            if self.context.search_index is not None:
                self.context.search_index.update_version(tx, row)
            tx.append_event(
                type=event, subject=subject_of(row), asset=asset_of(row), actor=actor.name, at=now,
                payload={"before": before, "after": after, **_warned(warnings)},
            )
            return _with_warnings(documents.to_document(row), warnings)

    # ---------------------------------------------------------------- delete
    def delete(
        self, ref: str | Reference, *, force: bool = False, actor: Actor, approval: str | None = None
    ) -> VersionDocument:
        """Delete a version; raises ConflictError (``has_dependents``) while others pin it, unless forced."""
        parsed = self.context.parse_reference(ref)
        if parsed.selector_type is not SelectorType.VERSION:
            raise ValidationError("delete needs an exact version", code="invalid_reference", field="ref")
        with self.context.governed(), self.context.store.write() as tx:
            row = locked_version(tx, parsed)
            self.context.authorize(actor, "assets:delete", namespace=row.namespace, owner=row.created_by)
            dependents = [f"{d.kind.value}:{d.namespace}/{d.name}@{d.version}" for d in tx.list_dependents(row.id)]
            if dependents and not force:
                raise ConflictError(
                    f"{subject_of(row)} is pinned by {len(dependents)} version(s): {', '.join(dependents[:10])}"
                    + (" …" if len(dependents) > 10 else "")
                    + "; delete with force to leave their pins dangling",
                    code="has_dependents",
                    field="ref",
                    details={"dependents": dependents},
                )
            warnings = self.context.check_policies(
                tx,
                lambda: change_of(
                    row, Operation.DELETE, target={"force": force, "dependents": dependents},
                    request={"ref": subject_of(row), "force": force},
                ),
                actor, approval=approval,
            )
            if self.context.search_index is not None:
                self.context.search_index.remove_version(tx, row)
            tx.delete_version(row)
            tx.append_event(
                type=EventType.ASSET_DELETED,
                subject=subject_of(row),
                asset=asset_of(row),
                actor=actor.name,
                at=self.context.now(),
                payload={
                    "version": row.version,
                    "digest": row.digest,
                    "forced": force,
                    "dependents": dependents,
                    "aliases": row.aliases,
                    "before": {"status": row.status, "labels": row.labels},
                    "after": None,
                    **_warned(warnings),
                },
            )
            return _with_warnings(documents.to_document(row), warnings)


def change_of(
    row: VersionRow, operation: Operation, *, labels: dict[str, Any] | None = None, target: dict[str, Any],
    request: dict[str, Any],
) -> Change:
    """A change of an existing version as policy rules see it (``labels``: as they will stand)."""
    from llm_registry.governance.gate import Change, asset_view

    def asset() -> dict[str, Any]:
        return asset_view(
            kind=row.kind, namespace=row.namespace, name=row.name, version=row.version, spec=row.spec,
            labels=row.labels if labels is None else labels, status=row.status, content=row.content,
            dependencies=row.dependencies, created_by=row.created_by, digest=row.digest,
        )

    return Change(
        operation=operation, kind=row.kind, namespace=row.namespace, subject=subject_of(row), asset=asset,
        target=target, version_id=row.id, request=request,
    )


def label_changes_json(changes: LabelChanges) -> dict[str, Any]:
    """A label update as data (an approval request keeps it so)."""
    out = dataclasses.asdict(changes)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def label_changes_from(data: Mapping[str, Any]) -> LabelChanges:
    values = dict(data)
    for name in ("tags", "add_tags", "remove_tags"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return LabelChanges(**values)


def _warned(warnings: list[str]) -> dict[str, Any]:
    return {"policy_warnings": warnings} if warnings else {}


def _with_warnings(document: VersionDocument, warnings: list[str]) -> VersionDocument:
    return document.model_copy(update={"warnings": warnings}) if warnings else document


def locked_version(tx: AssetWriter, ref: Reference) -> VersionRow:
    """The version ``ref`` chooses, its asset locked against other writers until commit, as it
    stands once the lock is held (a concurrent change committed meanwhile is seen)."""
    row = get_by_reference(tx, ref)
    if tx.lock_asset(row.asset_id):
        # Another writer may have changed or deleted it while this one waited for the lock.
        return get_by_reference(tx, ref)
    return row


def subject_of(row: VersionRow) -> str:
    """``kind:namespace/name@version``: the subject of a version's events."""
    return f"{row.kind.value}:{row.namespace}/{row.name}@{row.version}"


def asset_of(row: VersionRow) -> str:
    return f"{row.kind.value}:{row.namespace}/{row.name}"


def apply_label_changes(current: Mapping[str, Any], changes: LabelChanges) -> dict[str, Any]:
    """The labels after ``changes``, validated; raises ValidationError naming the label."""
    data = dict(current)
    if changes.description is not None:
        data["description"] = changes.description or None
    if changes.license is not None:
        data["license"] = changes.license or None
    if changes.card is not None:
        data["card"] = changes.card or None
    base = list(changes.tags) if changes.tags is not None else list(data.get("tags", []))
    removed = set(changes.remove_tags)
    tags = [t for t in base if t not in removed]
    tags.extend(t for t in changes.add_tags if t not in tags)
    data["tags"] = tags
    annotations = {} if changes.clear_annotations else dict(data.get("annotations", {}))
    for key, value in changes.annotations.items():
        if value is None:
            annotations.pop(key, None)
        else:
            annotations[key] = value
    data["annotations"] = annotations
    return documents.validate_labels(data)
