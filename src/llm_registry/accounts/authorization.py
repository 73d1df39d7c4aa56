"""The authorizer of a registry with accounts: RBAC by role, ownership, namespace grants.

Every transport asks the same questions through this one object: the REST route table names
the permission a route needs (``require``), the asset services ask about the resource at
hand (``require_on``) once they know its namespace and who created it, and the accounts
services ask before they manage users, keys and grants.
"""

from __future__ import annotations

from llm_registry.accounts.interfaces import AccountStore
from llm_registry.accounts.permissions import Scope, scope_of
from llm_registry.domain.access import Actor, Role
from llm_registry.errors import ForbiddenError


def owner_username(created_by: str) -> str:
    """The user behind a recorded actor (``alice`` for ``alice/key:01J…``)."""
    return created_by.partition("/key:")[0]


class AccountAuthorizer:
    """Implements ``domain.access.Authorizer`` over the role table and the stored namespace grants."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store

    def allows(self, actor: Actor, permission: str) -> bool:
        return scope_of(actor.role, permission) is not None

    def require(self, actor: Actor, permission: str) -> None:
        if scope_of(actor.role, permission) is None:
            raise ForbiddenError(f"a {actor.role.value} may not {permission}")

    def require_on(self, actor: Actor, permission: str, *, namespace: str, owner: str | None = None) -> None:
        scope = scope_of(actor.role, permission)
        if scope is None:
            raise ForbiddenError(f"a {actor.role.value} may not {permission}")
        if scope is Scope.OWN and owner is not None and owner_username(owner) != actor.username:
            raise ForbiddenError(f"a {actor.role.value} may {permission} only what it created")
        if not self.may_write_namespace(actor, namespace):
            raise ForbiddenError(f"{actor.username} may not write in namespace {namespace!r}", field="namespace")

    def may_write_namespace(self, actor: Actor, namespace: str) -> bool:
        """Admins write anywhere; others in namespaces without grants or granted to them."""
        if actor.role is Role.ADMIN:
            return True
        with self.store.read() as tx:
            grantees = tx.namespace_grantees(namespace)
        return not grantees or actor.username in grantees
