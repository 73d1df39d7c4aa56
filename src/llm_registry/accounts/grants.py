"""Namespace grants: who may write in a namespace. Managing them needs ``users:manage``.

A namespace nobody was granted is open to every role allowed to write; once granted, only
its grantees (and admins) write there. The authorizer reads the grants when it decides.
"""

from __future__ import annotations

import re

from llm_registry.accounts.interfaces import AccountStore, GrantRow
from llm_registry.accounts.models import NamespaceGrant
from llm_registry.accounts.rows import get_user_row, grant_of
from llm_registry.domain.access import Actor, Authorizer
from llm_registry.domain.times import Clock, format_epoch, system_clock
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.events.models import EventType

_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class GrantService:
    def __init__(self, store: AccountStore, authorizer: Authorizer, *, clock: Clock = system_clock) -> None:
        self.store = store
        self.authorizer = authorizer
        self.clock = clock

    def grant_namespace(self, namespace: str, username: str, *, actor: Actor) -> NamespaceGrant:
        """Let ``username`` write in ``namespace`` (which then becomes closed to others); granting
        again changes nothing. Raises NotFoundError for an unknown user."""
        self.authorizer.require(actor, "users:manage")
        if not _NAMESPACE.fullmatch(namespace):
            raise ValidationError(f"invalid namespace {namespace!r}", code="invalid_name", field="namespace")
        now = format_epoch(self.clock())
        with self.store.write() as tx:
            get_user_row(tx, username)
            if tx.insert_grant(GrantRow(namespace, username, now, actor.name)):
                tx.append_event(
                    type=EventType.NAMESPACE_GRANTED, subject=f"namespace:{namespace}", actor=actor.name, at=now,
                    payload={"after": {"namespace": namespace, "username": username}},
                )
            grant = tx.list_grants(namespace, username)[0]
        return grant_of(grant)

    def revoke_namespace(self, namespace: str, username: str, *, actor: Actor) -> None:
        """Remove a grant; raises NotFoundError when there was none."""
        self.authorizer.require(actor, "users:manage")
        now = format_epoch(self.clock())
        with self.store.write() as tx:
            if not tx.delete_grant(namespace, username):
                raise NotFoundError(f"{username!r} has no grant on namespace {namespace!r}", field="namespace")
            tx.append_event(
                type=EventType.NAMESPACE_REVOKED, subject=f"namespace:{namespace}", actor=actor.name, at=now,
                payload={"before": {"namespace": namespace, "username": username}},
            )

    def list_grants(
        self, *, actor: Actor, namespace: str | None = None, username: str | None = None
    ) -> list[NamespaceGrant]:
        """The grants, by namespace then user, of one namespace and/or user when given."""
        self.authorizer.require(actor, "users:manage")
        with self.store.read() as tx:
            rows = tx.list_grants(namespace, username)
        return [grant_of(r) for r in rows]
