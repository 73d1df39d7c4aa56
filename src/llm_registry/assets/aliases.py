"""Aliases: named, movable pointers of an asset to one of its versions (``latest`` is implicit)."""

from __future__ import annotations

from collections.abc import Callable

from llm_registry.assets import documents
from llm_registry.assets.changes import change_of
from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AliasRow, AssetReader, AssetRow
from llm_registry.assets.models import Alias, Status
from llm_registry.assets.paging import page_limit
from llm_registry.assets.resolution import find_by_reference, get_by_reference
from llm_registry.domain.access import Actor
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.names import parse_alias
from llm_registry.domain.pages import Page
from llm_registry.domain.references import LATEST, Reference
from llm_registry.domain.versions import parse_version
from llm_registry.errors import ConflictError, NotFoundError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.governance.policies import Operation


class AliasService:
    """Moves, removes and lists aliases; a move is refused onto a yanked version."""

    def __init__(self, context: AssetContext) -> None:
        self.context = context

    def set_alias(
        self,
        ref: str | Reference,
        alias: str,
        version: str,
        *,
        actor: Actor,
        precondition: Callable[[Alias | None], bool] | None = None,
        approval: str | None = None,
        force: bool = False,
    ) -> Alias:
        """Point ``alias`` at an exact version of the asset (``latest`` is implicit and cannot be set).

        Moves of one asset's aliases run one after the other (last writer wins, in commit order),
        so each move's event records the one before it. ``precondition``, when given, is asked
        about the alias as it stands (None: not set) once the asset is locked; False refuses the
        move with ConflictError (``precondition_failed``). The policies in force are asked
        (``approval``: the approved request this move carries out); ``force`` activates a
        policy that would lock admins out of changing policy."""
        parsed = self.context.asset_reference(ref)
        alias = parse_alias(alias)
        if alias == LATEST:
            raise ValidationError(
                "'latest' is implicit: the highest active release", code="invalid_alias", field="alias"
            )
        target_ref = parsed.with_version(str(parse_version(version, field="version")))
        trust_warnings = self._trust_warnings(parsed, target_ref, actor)
        warnings = trust_warnings
        with self.context.governed(), self.context.store.write() as tx:
            asset = self._authorize(tx, parsed, actor)
            tx.lock_asset(asset.id)
            row = get_by_reference(tx, target_ref)
            if row.status == Status.YANKED.value:
                raise ConflictError(
                    f"{parsed.asset}@{row.version} is yanked; an alias cannot point at it",
                    code="invalid_status_change",
                    field="version",
                )
            current = tx.find_version_by_alias(parsed.kind, parsed.name, alias)
            if precondition is not None:
                stored_now = tx.find_alias(asset.id, alias)
                if not precondition(_alias(stored_now) if stored_now is not None else None):
                    raise ConflictError(
                        f"{parsed.asset}@{alias} is not as the request expected it (it has moved since)",
                        code="precondition_failed",
                        field="alias",
                    )
            if current is not None and current.id == row.id:
                # Already there: answer with the move that put it there, not a new one.
                stored = tx.find_alias(row.asset_id, alias)
                assert stored is not None
                return Alias(
                    name=alias, version=row.version, updated_at=stored.updated_at, updated_by=stored.updated_by,
                    warnings=warnings,
                )
            before = current.version if current else None
            policy_warnings = self.context.check_policies(
                tx,
                lambda: change_of(
                    row, Operation.MOVE_ALIAS, target={"alias": alias, "before": before, "after": row.version},
                    request={"ref": str(parsed), "alias": alias, "version": row.version, "force": force},
                ),
                actor, approval=approval, force=force,
            )
            warnings = [*warnings, *policy_warnings]
            now = self.context.now()
            tx.set_alias(row.asset_id, alias, row.id, now, actor.name)
            tx.append_event(
                type=EventType.ALIAS_MOVED,
                subject=f"{parsed.asset}@{alias}",
                asset=parsed.asset,
                actor=actor.name,
                at=now,
                payload={"alias": alias, "before": before, "after": row.version,
                         **({"trust_warnings": trust_warnings} if trust_warnings else {}),
                         **({"policy_warnings": policy_warnings} if policy_warnings else {})},
            )
        return Alias(name=alias, version=row.version, updated_at=now, updated_by=actor.name, warnings=warnings)

    def _trust_warnings(self, parsed: Reference, target: Reference, actor: Actor) -> list[str]:
        """What the trust gate says of moving an alias onto ``target`` (raises PolicyDeniedError
        where the policy enforces), once the actor may move it. Asked before the move's
        transaction, since the gate reads on its own: a version's bytes do not change, and its
        signatures are only ever added (a signer revoked in between is the one race left)."""
        if self.context.trust is None:
            return []
        with self.context.store.read() as tx:
            self._authorize(tx, parsed, actor)
            row = find_by_reference(tx, target)
        if row is None:
            return []  # the move's transaction answers the missing version
        return self.context.trust.check(documents.to_document(row), operation="move_alias")

    def remove_alias(self, ref: str | Reference, alias: str, *, actor: Actor) -> None:
        """Remove an alias; raises NotFoundError (``alias_not_found``)."""
        parsed = self.context.asset_reference(ref)
        alias = parse_alias(alias)
        with self.context.store.write() as tx:
            asset = self._authorize(tx, parsed, actor)
            tx.lock_asset(asset.id)
            current = tx.find_version_by_alias(parsed.kind, parsed.name, alias)
            if current is None:
                raise NotFoundError(f"{parsed.asset} has no alias {alias!r}", code="alias_not_found")
            tx.delete_alias(current.asset_id, alias)
            tx.append_event(
                type=EventType.ALIAS_REMOVED,
                subject=f"{parsed.asset}@{alias}",
                asset=parsed.asset,
                actor=actor.name,
                at=self.context.now(),
                payload={"alias": alias, "before": current.version, "after": None},
            )

    def _authorize(self, tx: AssetReader, parsed: Reference, actor: Actor) -> AssetRow:
        """The asset; raises NotFoundError (no such asset) or ForbiddenError (the actor may not
        move its aliases)."""
        asset = tx.find_asset(parsed.kind, parsed.name)
        if asset is None:
            raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found")
        self.context.authorize(actor, "assets:update", namespace=asset.namespace, owner=asset.created_by)
        return asset

    def get_alias(self, ref: str | Reference, alias: str) -> Alias:
        """One alias of the asset (``latest`` included); raises NotFoundError."""
        parsed = self.context.asset_reference(ref)
        alias = parse_alias(alias)
        with self.context.store.read() as tx:
            if alias == LATEST:
                latest = get_by_reference(tx, parsed)
                return Alias(name=LATEST, version=latest.version, implicit=True)
            asset = tx.find_asset(parsed.kind, parsed.name)
            if asset is None:
                raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
            stored = tx.find_alias(asset.id, alias)
        if stored is None:
            raise NotFoundError(f"{parsed.asset} has no alias {alias!r}", code="alias_not_found", field="alias")
        return _alias(stored)

    def list_aliases(self, ref: str | Reference, *, cursor: str | None = None, limit: int = 100) -> Page[Alias]:
        """A page of the asset's aliases by name, the implicit ``latest`` first (on the first page)."""
        parsed = self.context.asset_reference(ref)
        limit = page_limit(limit)
        after = decode_cursor(cursor, arity=1, types=(str,))[0] if cursor else None
        with self.context.store.read() as tx:
            asset = tx.find_asset(parsed.kind, parsed.name)
            if asset is None:
                raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
            latest = find_by_reference(tx, parsed) if after is None else None
            room = limit - 1 if latest else limit  # ``latest`` takes a place on the first page
            rows = tx.list_aliases(asset.id, after=after, limit=room + 1)
        items = [Alias(name=LATEST, version=latest.version, implicit=True)] if latest else []
        items.extend(
            _alias(r) for r in rows[:room]
        )
        next_cursor = None
        if len(rows) > room:
            # After the last alias shown; "" (before every name) when the page held only ``latest``.
            next_cursor = encode_cursor([rows[room - 1].name if room else ""])
        return Page[Alias](items=items, next_cursor=next_cursor)


def _alias(row: AliasRow) -> Alias:
    return Alias(name=row.name, version=row.version, updated_at=row.updated_at, updated_by=row.updated_by)
