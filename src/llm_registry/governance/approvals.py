"""Approval requests: a change a ``require_approval`` rule held, waiting for someone allowed
(``policies:manage``) to approve or reject it.

Approving carries the change out as its requester, with the request's rule satisfied (every
other rule still applies). The decision is taken first, by a conditional update: of two
approvers deciding at once one wins, the other is told it was decided. A change that no longer
applies (its version was yanked or deleted meanwhile, an alias's target is gone) fails cleanly:
the request becomes ``failed`` with the reason, and nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from llm_registry.assets.changes import label_changes_from
from llm_registry.assets.paging import page_limit
from llm_registry.domain.access import Actor, Role
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.pages import Page
from llm_registry.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RegistryError,
    ValidationError,
)
from llm_registry.events.models import EventType
from llm_registry.governance import store_sql
from llm_registry.governance.store_sql import ApprovalRow

if TYPE_CHECKING:
    from llm_registry.assets.aliases import AliasService
    from llm_registry.assets.changes import ChangeService
    from llm_registry.assets.context import AssetContext
    from llm_registry.assets.registration import RegistrationService

State = Literal["pending", "approved", "rejected", "failed"]
STATES: tuple[str, ...] = ("pending", "approved", "rejected", "failed")
MAX_COMMENT = 4096


class Approval(BaseModel):
    """An approval request as every interface shows it."""

    id: str
    state: State
    operation: str
    subject: str
    policy: str
    rule: str
    message: str
    requested_by: str
    requested_at: str
    request: dict[str, Any]
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None
    failure: str | None = None
    # The change's answer, once approved and carried out (a version document, an alias).
    result: dict[str, Any] | None = None


def _approval(row: ApprovalRow) -> Approval:
    request = {k: v for k, v in row.request.items() if k != "actor"}
    return Approval(
        id=row.id, state=row.state, operation=row.operation, subject=row.subject,
        policy=row.policy, rule=row.rule, message=row.message, requested_by=row.requested_by,
        requested_at=row.requested_at, request=request, decided_by=row.decided_by, decided_at=row.decided_at,
        comment=row.comment, failure=row.failure,
    )


def _username(name: str) -> str:
    return name.split("/key:", 1)[0]


class ApprovalService:
    """Lists, approves and rejects approval requests; raises the errors of ``llm_registry.errors``."""

    def __init__(
        self, context: AssetContext, registration: RegistrationService, changes: ChangeService, aliases: AliasService
    ) -> None:
        self.context = context
        self.registration = registration
        self.changes = changes
        self.aliases = aliases

    def _connection(self, tx: Any) -> Any:
        return tx.connection

    def _may_read_all(self, actor: Actor) -> bool:
        authorizer = self.context.authorizer
        return authorizer is None or authorizer.allows(actor, "policies:read")

    def list(
        self, *, actor: Actor, state: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Approval]:
        """Approval requests by age (oldest first); one without ``policies:read`` sees its own."""
        if state is not None and state not in STATES:
            raise ValidationError(
                f"state must be one of {', '.join(STATES)}", code="invalid_parameter", field="state"
            )
        limit = page_limit(limit)
        after = decode_cursor(cursor, arity=1, types=(str,))[0] if cursor else None
        mine = None if self._may_read_all(actor) else actor.name
        with self.context.store.read() as tx:
            rows = store_sql.list_approvals(
                self._connection(tx), state=state, requested_by=mine, after=after, limit=limit + 1
            )
        items = [_approval(r) for r in rows[:limit]]
        next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
        return Page[Approval](items=items, next_cursor=next_cursor)

    def get(self, approval_id: str, *, actor: Actor) -> Approval:
        with self.context.store.read() as tx:
            row = store_sql.find_approval(self._connection(tx), approval_id)
        if row is None or not (self._may_read_all(actor) or row.requested_by == actor.name):
            raise NotFoundError(f"no approval request {approval_id!r}", code="approval_not_found", field="id")
        return _approval(row)

    def approve(self, approval_id: str, *, actor: Actor, comment: str | None = None) -> Approval:
        """Approve the request and carry its change out; raises ConflictError
        (``approval_decided``, ``approval_not_applicable``), ForbiddenError (``self_approval``,
        or without ``policies:manage``) or NotFoundError."""
        row = self._decide(approval_id, "approved", actor, comment)
        requested = row.request.get("actor") or {}
        requester = Actor(
            str(requested.get("username") or _username(row.requested_by)),
            Role(requested.get("role") or Role.VIEWER.value), api_key_id=requested.get("api_key_id"),
        )
        try:
            result = self._carry_out(row, requester)
        except RegistryError as error:
            reason = f"{error.code}: {error.message}"
            with self.context.store.write() as tx:
                store_sql.fail_approval(self._connection(tx), row.id, reason)
                tx.append_event(
                    type=EventType.APPROVAL_FAILED, subject=row.subject, asset=row.subject.split("@", 1)[0],
                    actor=actor.name, at=self.context.now(),
                    payload={"approval_id": row.id, "operation": row.operation, "error": error.to_dict()},
                )
            raise ConflictError(
                f"approval {row.id} was approved, but its change no longer applies ({reason}); nothing changed",
                code="approval_not_applicable", field="id", details={"approval_id": row.id, "cause": error.to_dict()},
            ) from None
        approval = self.get(row.id, actor=actor)
        return approval.model_copy(update={"result": result})

    def reject(self, approval_id: str, *, actor: Actor, comment: str) -> Approval:
        """Reject the request (a comment says why)."""
        if not comment or not comment.strip():
            raise ValidationError("a rejection needs a comment saying why", code="invalid_parameter", field="comment")
        self._decide(approval_id, "rejected", actor, comment)
        return self.get(approval_id, actor=actor)

    def _decide(self, approval_id: str, state: str, actor: Actor, comment: str | None) -> ApprovalRow:
        if comment is not None and len(comment) > MAX_COMMENT:
            raise ValidationError(
                f"comment is longer than {MAX_COMMENT} characters", code="invalid_parameter", field="comment"
            )
        if self.context.authorizer is not None:
            self.context.authorizer.require(actor, "policies:manage")
        now = self.context.now()
        with self.context.store.write() as tx:
            connection = self._connection(tx)
            row = store_sql.find_approval(connection, approval_id)
            if row is None:
                raise NotFoundError(f"no approval request {approval_id!r}", code="approval_not_found", field="id")
            if _username(row.requested_by) == actor.username:
                raise ForbiddenError(
                    f"{actor.username} requested this change and cannot decide on it", code="self_approval", field="id"
                )
            if not store_sql.decide_approval(connection, approval_id, state=state, by=actor.name, at=now,
                                             comment=comment):
                current = store_sql.find_approval(connection, approval_id)
                assert current is not None
                raise ConflictError(
                    f"approval {approval_id} was already {current.state} by {current.decided_by}",
                    code="approval_decided", field="id", details={"state": current.state},
                )
            tx.append_event(
                type=EventType.APPROVAL_DECIDED, subject=row.subject, asset=row.subject.split("@", 1)[0],
                actor=actor.name, at=now,
                payload={"approval_id": row.id, "decision": state, "comment": comment, "operation": row.operation},
            )
        return row

    def _carry_out(self, row: ApprovalRow, requester: Actor) -> dict[str, Any]:
        request, approval = row.request, row.id
        if row.operation == "register":
            document, _ = self.registration.register(request["manifest"], actor=requester, approval=approval)
            return document.model_dump(mode="json")
        if row.operation == "update_labels":
            changes = label_changes_from(request["changes"])
            return self.changes.update_labels(
                request["ref"], changes, actor=requester, approval=approval
            ).model_dump(mode="json")
        if row.operation == "change_status":
            status = request["status"]
            if status == "deprecated":
                document = self.changes.deprecate(
                    request["ref"], message=request.get("message"), replacement=request.get("replacement"),
                    actor=requester, approval=approval,
                )
            elif status == "yanked":
                document = self.changes.yank(
                    request["ref"], reason=request.get("message"), actor=requester, approval=approval
                )
            else:
                document = self.changes.restore(request["ref"], actor=requester, approval=approval)
            return document.model_dump(mode="json")
        if row.operation == "move_alias":
            moved = self.aliases.set_alias(
                request["ref"], request["alias"], request["version"], actor=requester, approval=approval,
                force=bool(request.get("force")),
            )
            return moved.model_dump(mode="json")
        if row.operation == "delete":
            return self.changes.delete(
                request["ref"], force=bool(request.get("force")), actor=requester, approval=approval
            ).model_dump(mode="json")
        raise ValidationError(f"unknown operation {row.operation!r}", code="invalid_parameter", field="operation")
