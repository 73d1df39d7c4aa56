"""Users: create, read, change (role, disabled state, password), and whether any exists yet.

Managing users needs ``users:manage`` (asked of the authorizer); a user reads itself and
changes its own password without it. Every change appends its event in the same transaction;
passwords are hashed (argon2id) outside the write lock, and never logged or put in an event.
"""

from __future__ import annotations

import re
import threading

from llm_registry.accounts import passwords
from llm_registry.accounts.interfaces import AccountStore, UserRow
from llm_registry.accounts.models import User
from llm_registry.accounts.rows import get_user_row, user_of
from llm_registry.domain import patterns
from llm_registry.domain.access import Actor, Authorizer, Role
from llm_registry.domain.ids import new_id
from llm_registry.domain.times import Clock, format_epoch, system_clock
from llm_registry.errors import ConflictError, UnauthenticatedError, ValidationError
from llm_registry.events.models import EventType

_USERNAME = re.compile(patterns.USERNAME)
RESERVED_USERNAMES = frozenset({"anonymous", "system"})
SYSTEM = Actor("system", Role.ADMIN)
"""Who acts for the registry itself (the bootstrap admin's creation, a revoked session)."""


def parse_role(value: str | Role, field: str = "role") -> Role:
    """The role named ``value``; raises ValidationError for an unknown one."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            f"unknown role {value!r}: one of {', '.join(r.value for r in Role)}", code="invalid_parameter", field=field
        ) from None


def check_username(username: str, field: str = "username") -> str:
    """``username`` when it is a valid, unreserved name; raises ValidationError otherwise."""
    if not _USERNAME.fullmatch(username) or username in RESERVED_USERNAMES:
        raise ValidationError(
            f"invalid username {username!r}: lowercase letters, digits, '.', '_', '-' (not a reserved name)",
            code="invalid_parameter",
            field=field,
        )
    return username


class UserService:
    def __init__(self, store: AccountStore, authorizer: Authorizer, *, clock: Clock = system_clock) -> None:
        self.store = store
        self.authorizer = authorizer
        self.clock = clock
        self._has_users = False
        self._users_looked_at: int | None = None  # the store's change counter at the last look
        self._lock = threading.Lock()

    def create_user(self, username: str, password: str, role: str | Role, *, actor: Actor) -> User:
        """Create a user; raises ForbiddenError without ``users:manage``, ConflictError when the
        name is taken, ValidationError for a bad name, password or role."""
        self.authorizer.require(actor, "users:manage")
        check_username(username)
        passwords.check_strength(password)
        role = parse_role(role)
        password_hash = passwords.hash_password(password)  # slow: outside the write lock
        now = format_epoch(self.clock())
        row = UserRow(new_id(), username, password_hash, role.value, False, now, actor.name, now)
        with self.store.write() as tx:
            if tx.find_user(username) is not None:
                raise ConflictError(f"user {username!r} already exists", field="username")
            tx.insert_user(row)
            tx.append_event(
                type=EventType.USER_CREATED, subject=f"user:{username}", actor=actor.name, at=now,
                payload={"after": {"username": username, "role": role.value}},
            )
        return user_of(row)

    def ensure_admin(self, username: str, password: str) -> User | None:
        """Create ``username`` as admin when the registry has no user at all (bootstrap); else None."""
        with self.store.read() as tx:
            if tx.count_users():
                return None
        return self.create_user(username, password, Role.ADMIN, actor=SYSTEM)

    def has_users(self) -> bool:
        """Whether any user exists. Asked on refusals (a registry without users refuses everyone,
        and says how to make the first admin), so the answer is kept: once yes, for good (users
        are disabled, never deleted); a no is looked at again only after a commit where the
        store can tell (SQLite's change counter), else on each call (a count of an empty table)."""
        if self._has_users:
            return True
        counter = self.store.change_counter()
        with self._lock:
            if counter is not None and counter == self._users_looked_at:
                return False
            with self.store.read() as tx:
                found = tx.count_users() > 0
            self._has_users, self._users_looked_at = found, counter
        return found

    def get_user(self, username: str, *, actor: Actor) -> User:
        """A user (oneself, or anyone with ``users:manage``); raises NotFoundError when there is none."""
        if username != actor.username:
            self.authorizer.require(actor, "users:manage")
        with self.store.read() as tx:
            return user_of(get_user_row(tx, username))

    def list_users(self, *, actor: Actor) -> list[User]:
        """Every user, by name; raises ForbiddenError without ``users:manage``."""
        self.authorizer.require(actor, "users:manage")
        with self.store.read() as tx:
            return [user_of(r) for r in tx.list_users()]

    def update_user(
        self,
        username: str,
        *,
        role: str | Role | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        actor: Actor,
    ) -> User:
        """Change role, disabled state or password (``users:manage``). Disabling (or a new
        password) revokes the user's sessions; disabling also revokes its API keys. Raises
        ConflictError rather than demote or disable the last enabled admin."""
        self.authorizer.require(actor, "users:manage")
        return self._update(username, role=role, disabled=disabled, password=password, actor=actor)

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        """A user changes its own password; raises UnauthenticatedError when ``current`` is wrong."""
        with self.store.read() as tx:
            row = get_user_row(tx, actor.username)
        if not passwords.verify_password(row.password_hash, current):
            raise UnauthenticatedError("the current password is wrong", field="current_password")
        self._update(actor.username, password=new, actor=actor)

    def _update(
        self,
        username: str,
        *,
        role: str | Role | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        actor: Actor,
    ) -> User:
        new_role = parse_role(role) if role is not None else None
        password_hash = None
        if password is not None:
            passwords.check_strength(password)
            password_hash = passwords.hash_password(password)
        now = format_epoch(self.clock())
        with self.store.write() as tx:
            row = get_user_row(tx, username)
            values: dict[str, object] = {}
            if new_role is not None and new_role.value != row.role:
                values["role"] = new_role.value
            if disabled is not None and disabled != row.disabled:
                values["disabled"] = disabled
            if password_hash is not None:
                values["password_hash"] = password_hash
            if not values:
                return user_of(row)
            demoted = values.get("role", Role.ADMIN.value) != Role.ADMIN.value or values.get("disabled") is True
            if row.role == Role.ADMIN.value and not row.disabled and demoted:
                admins = [u for u in tx.list_users() if u.role == Role.ADMIN.value and not u.disabled]
                if len(admins) <= 1:
                    raise ConflictError("refusing to demote or disable the last admin", field="role")
            values["updated_at"] = now
            tx.update_user(row.id, values)
            revoked_sessions = revoked_keys = 0
            if values.get("disabled") is True or password_hash is not None:
                revoked_sessions = tx.revoke_user_sessions(row.id, now)
            if values.get("disabled") is True:
                revoked_keys = tx.revoke_user_api_keys(row.id, now)
            before = {k: getattr(row, k) for k in ("role", "disabled") if k in values}
            after: dict[str, object] = {k: values[k] for k in ("role", "disabled") if k in values}
            if password_hash is not None:
                after["password_changed"] = True
            event = EventType.USER_DISABLED if values.get("disabled") is True else EventType.USER_UPDATED
            tx.append_event(
                type=event, subject=f"user:{username}", actor=actor.name, at=now,
                payload={"before": before, "after": after, "revoked_sessions": revoked_sessions,
                         "revoked_api_keys": revoked_keys},
            )
            updated = tx.find_user_by_id(row.id)
        assert updated is not None
        return user_of(updated)
