"""API keys: create (the secret is answered once), list, revoke.

Creating a key needs ``api-keys:create``; a key acts for its creator with at most the
creator's role. Everyone lists and revokes their own keys; every user's keys are listed and
revoked only with ``users:manage``: the authorizer decides, here, not the transport.
"""

from __future__ import annotations

from llm_registry.accounts import keys
from llm_registry.accounts.interfaces import AccountStore, ApiKeyRow
from llm_registry.accounts.models import ApiKey, CreatedApiKey
from llm_registry.accounts.rows import api_key_of, get_user_row
from llm_registry.accounts.users import parse_role
from llm_registry.domain.access import Actor, Authorizer, Role
from llm_registry.domain.ids import new_id
from llm_registry.domain.times import Clock, format_epoch, parse_time, system_clock
from llm_registry.errors import ForbiddenError, NotFoundError, ValidationError
from llm_registry.events.models import EventType


class ApiKeyService:
    def __init__(self, store: AccountStore, authorizer: Authorizer, *, clock: Clock = system_clock) -> None:
        self.store = store
        self.authorizer = authorizer
        self.clock = clock

    def create_api_key(
        self, actor: Actor, name: str, *, role: str | Role | None = None, expires_at: str | None = None
    ) -> CreatedApiKey:
        """A key acting for the actor's user with at most its role (default: the actor's); the
        secret is in this answer only. Raises ForbiddenError without ``api-keys:create`` or for a
        wider role, ValidationError for a bad name or an expiry in the past."""
        self.authorizer.require(actor, "api-keys:create")
        if not 1 <= len(name) <= 128:
            raise ValidationError("a key name has 1 to 128 characters", code="invalid_parameter", field="name")
        key_role = parse_role(role) if role is not None else actor.role
        if not actor.role.includes(key_role):
            raise ForbiddenError(f"a {actor.role.value} cannot create a key with role {key_role.value}", field="role")
        now = format_epoch(self.clock())
        expires = parse_time(expires_at, field="expires_at") if expires_at else None
        if expires is not None and expires <= now:
            raise ValidationError("expires_at is in the past", code="invalid_parameter", field="expires_at")
        secret = keys.new_api_key()
        with self.store.write() as tx:
            owner = get_user_row(tx, actor.username)
            row = ApiKeyRow(new_id(), secret.lookup, secret.digest, name, owner.id, owner.username,
                            key_role.value, now, expires, None, None)
            tx.insert_api_key(row)
            tx.append_event(
                type=EventType.API_KEY_CREATED, subject=f"api_key:{row.id}", actor=actor.name, at=now,
                payload={"after": {"id": row.id, "name": name, "prefix": row.prefix, "owner": owner.username,
                                   "role": key_role.value, "expires_at": expires}},
            )
        return CreatedApiKey(**api_key_of(row).model_dump(), key=secret.text)

    def list_api_keys(self, actor: Actor, *, every_user: bool = False) -> list[ApiKey]:
        """The actor's keys, or with ``every_user`` every user's: that needs ``users:manage``
        (ForbiddenError otherwise, rather than a silently shorter list)."""
        if every_user:
            self.authorizer.require(actor, "users:manage")
        with self.store.read() as tx:
            if every_user:
                return [api_key_of(r) for r in tx.list_api_keys(None)]
            owner = get_user_row(tx, actor.username)
            return [api_key_of(r) for r in tx.list_api_keys(owner.id)]

    def revoke_api_key(self, actor: Actor, key_id: str) -> ApiKey:
        """Revoke a key of the actor, or anyone's with ``users:manage``; it stops working at once.
        Raises NotFoundError for a key that does not exist or that the actor may not revoke
        (which keys others have is not told)."""
        any_owner = self.authorizer.allows(actor, "users:manage")
        now = format_epoch(self.clock())
        with self.store.write() as tx:
            row = tx.find_api_key(id=key_id)
            if row is None or (row.username != actor.username and not any_owner):
                raise NotFoundError(f"no API key {key_id!r}", field="id")
            if row.revoked_at is None:
                tx.revoke_api_key(row.id, now)
                tx.append_event(
                    type=EventType.API_KEY_REVOKED, subject=f"api_key:{row.id}", actor=actor.name, at=now,
                    payload={"before": {"id": row.id, "name": row.name, "prefix": row.prefix, "owner": row.username}},
                )
            revoked = tx.find_api_key(id=key_id)
        assert revoked is not None
        return api_key_of(revoked)
