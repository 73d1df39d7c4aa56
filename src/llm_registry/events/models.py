"""Events as the feed shows them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class EventType(StrEnum):
    ASSET_REGISTERED = "asset.registered"
    ASSET_LABELS_UPDATED = "asset.labels_updated"
    ASSET_DEPRECATED = "asset.deprecated"
    ASSET_YANKED = "asset.yanked"
    ASSET_RESTORED = "asset.restored"
    ASSET_DELETED = "asset.deleted"
    ALIAS_MOVED = "alias.moved"
    ALIAS_REMOVED = "alias.removed"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DISABLED = "user.disabled"
    USER_PASSWORD_CHANGED = "user.password_changed"
    SESSION_REVOKED = "session.revoked"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    NAMESPACE_GRANTED = "namespace.granted"
    NAMESPACE_REVOKED = "namespace.revoked"
    BLOB_UPLOADED = "blob.uploaded"
    BLOB_DELETED = "blob.deleted"
    SIGNER_ADDED = "signer.added"
    SIGNER_REVOKED = "signer.revoked"
    SIGNATURE_ADDED = "signature.added"
    SIGNATURE_REVOKED = "signature.revoked"
    PROVENANCE_ATTACHED = "provenance.attached"
    POLICY_DENIED = "policy.denied"
    POLICY_WARNED = "policy.warned"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_FAILED = "approval.failed"
    EVALUATION_RECORDED = "evaluation.recorded"


# Areas (the part of a type before the dot) of the events about accounts: reading them needs
# ``audit:read``, not just ``assets:read``.
ACCOUNT_AREAS: tuple[str, ...] = ("user", "session", "api_key", "namespace")


class Event(BaseModel):
    """One change: ``cursor`` is what ``events(after=…)`` takes to read on from here."""

    id: str
    cursor: str
    type: str
    subject: str
    actor: str
    created_at: str
    payload: dict[str, Any]
