"""The RBAC table: which ``resource:action`` permissions each role holds.

A permission is held either outright or only on what the identity created (``OWN``):
a ``user`` may update and deprecate its own versions, nobody else's. Roles include the
ones below them (admin ⊃ developer ⊃ user ⊃ viewer); the table lists each role in full so
that the docs and the permission-matrix test read it as is.
"""

from __future__ import annotations

from enum import StrEnum

from llm_registry.domain.access import Role


class Scope(StrEnum):
    ANY = "any"
    OWN = "own"


PERMISSIONS: dict[str, str] = {
    "assets:read": "Read assets, versions, aliases, lineage, search, resolve, render and the change feed.",
    "assets:create": "Register versions.",
    "assets:update": "Change labels and status (deprecate, yank, restore) and move aliases.",
    "assets:delete": "Delete versions.",
    "policies:read": "Read policies and their decisions.",
    "policies:manage": "Write policies and decide approvals.",
    "api-keys:create": "Create, list and revoke one's own API keys.",
    "users:manage": "Create, change and disable users; grant namespaces; manage every API key.",
    "audit:read": "Read the audit log.",
    "signers:manage": "Add and revoke trusted signers (the keys whose signatures count).",
    "evaluations:record": "Record evaluation results (scores of a version on a test suite).",
}

_VIEWER = {"assets:read": Scope.ANY}
_USER = {**_VIEWER, "assets:create": Scope.ANY, "assets:update": Scope.OWN}
_DEVELOPER = {
    **_USER,
    "assets:update": Scope.ANY,
    "assets:delete": Scope.ANY,
    "policies:read": Scope.ANY,
    "api-keys:create": Scope.ANY,
    "evaluations:record": Scope.ANY,
}
_ADMIN = dict.fromkeys(PERMISSIONS, Scope.ANY)

ROLE_PERMISSIONS: dict[Role, dict[str, Scope]] = {
    Role.ADMIN: _ADMIN,
    Role.DEVELOPER: _DEVELOPER,
    Role.USER: _USER,
    Role.VIEWER: _VIEWER,
}


def scope_of(role: Role, permission: str) -> Scope | None:
    """How ``role`` holds ``permission`` (None: not at all). Raises KeyError for an unknown permission."""
    if permission not in PERMISSIONS:
        raise KeyError(f"undeclared permission {permission!r}")
    return ROLE_PERMISSIONS[role].get(permission)
