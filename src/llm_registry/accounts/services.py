"""The accounts service: users, login sessions, API keys and namespace grants.

Every change appends its event in the same transaction. Secrets are returned once (the
answer that creates them) and never logged, stored or put in an event.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from llm_registry.accounts import keys, passwords
from llm_registry.accounts.interfaces import (
    AccountStore,
    AccountTransaction,
    ApiKeyRow,
    GrantRow,
    RefreshTokenRow,
    SessionRow,
    UserRow,
)
from llm_registry.accounts.models import ApiKey, CreatedApiKey, NamespaceGrant, Principal, Role, TokenPair, User
from llm_registry.accounts.recent import RecentCredentials
from llm_registry.accounts.tokens import AccessClaims, TokenSigner
from llm_registry.domain.ids import new_id
from llm_registry.domain.times import epoch_of, format_epoch, parse_time
from llm_registry.errors import ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError
from llm_registry.events.models import EventType

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
RESERVED_USERNAMES = frozenset({"anonymous", "system"})
# last_used_at is written at most this often per key, so that keys cost no write per request.
LAST_USED_PRECISION_SECONDS = 60
_BAD_LOGIN = "invalid username or password"
_BAD_REFRESH = "the refresh token is not valid; log in again"


def parse_role(value: str | Role, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            f"unknown role {value!r}: one of {', '.join(r.value for r in Role)}", code="invalid_parameter", field=field
        ) from None


def check_username(username: str, field: str = "username") -> str:
    if not _USERNAME.fullmatch(username) or username in RESERVED_USERNAMES:
        raise ValidationError(
            f"invalid username {username!r}: lowercase letters, digits, '.', '_', '-' (not a reserved name)",
            code="invalid_parameter",
            field=field,
        )
    return username


def _user(row: UserRow) -> User:
    return User(
        username=row.username, role=Role(row.role), disabled=row.disabled, created_at=row.created_at,
        created_by=row.created_by, updated_at=row.updated_at,
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id, name=row.name, prefix=row.prefix, owner=row.username, role=Role(row.role),
        created_at=row.created_at, expires_at=row.expires_at, last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        signer: TokenSigner,
        *,
        refresh_ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.clock = clock
        self._recent = RecentCredentials()

    def _now(self, offset: float = 0.0) -> str:
        return format_epoch(self.clock() + offset)

    # ----------------------------------------------------------------- users
    def create_user(self, username: str, password: str, role: str | Role, *, actor: str) -> User:
        """Create a user; raises ConflictError when the name is taken."""
        check_username(username)
        passwords.check_strength(password)
        role = parse_role(role)
        password_hash = passwords.hash_password(password)  # slow: outside the write lock
        now = self._now()
        row = UserRow(new_id(), username, password_hash, role.value, False, now, actor, now)
        with self.store.write() as tx:
            if tx.find_user(username) is not None:
                raise ConflictError(f"user {username!r} already exists", field="username")
            tx.insert_user(row)
            tx.append_event(
                type=EventType.USER_CREATED, subject=f"user:{username}", actor=actor, at=now,
                payload={"after": {"username": username, "role": role.value}},
            )
        return _user(row)

    def ensure_admin(self, username: str, password: str) -> User | None:
        """Create ``username`` as admin when the registry has no user at all (bootstrap); else None."""
        with self.store.read() as tx:
            if tx.count_users():
                return None
        return self.create_user(username, password, Role.ADMIN, actor="system")

    def get_user(self, username: str) -> User:
        """Raises NotFoundError when there is no such user."""
        with self.store.read() as tx:
            return _user(self._get_user(tx, username))

    def list_users(self) -> list[User]:
        with self.store.read() as tx:
            return [_user(r) for r in tx.list_users()]

    @staticmethod
    def _get_user(tx: AccountTransaction, username: str) -> UserRow:
        row = tx.find_user(username)
        if row is None:
            raise NotFoundError(f"no user {username!r}", field="username")
        return row

    def update_user(
        self,
        username: str,
        *,
        role: str | Role | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        actor: str,
    ) -> User:
        """Change role, disabled state or password. Disabling (or a new password) revokes the
        user's sessions; disabling also revokes its API keys. The last enabled admin stays."""
        new_role = parse_role(role) if role is not None else None
        password_hash = None
        if password is not None:
            passwords.check_strength(password)
            password_hash = passwords.hash_password(password)
        now = self._now()
        with self.store.write() as tx:
            row = self._get_user(tx, username)
            values: dict[str, object] = {}
            if new_role is not None and new_role.value != row.role:
                values["role"] = new_role.value
            if disabled is not None and disabled != row.disabled:
                values["disabled"] = disabled
            if password_hash is not None:
                values["password_hash"] = password_hash
            if not values:
                return _user(row)
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
                type=event, subject=f"user:{username}", actor=actor, at=now,
                payload={"before": before, "after": after, "revoked_sessions": revoked_sessions,
                         "revoked_api_keys": revoked_keys},
            )
            updated = tx.find_user_by_id(row.id)
        assert updated is not None
        return _user(updated)

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """A user changes its own password; raises UnauthenticatedError when ``current`` is wrong."""
        with self.store.read() as tx:
            row = self._get_user(tx, principal.username)
        if not passwords.verify_password(row.password_hash, current):
            raise UnauthenticatedError("the current password is wrong", field="current_password")
        self.update_user(principal.username, password=new, actor=principal.name)

    # -------------------------------------------------------------- sessions
    def login(self, username: str, password: str) -> TokenPair:
        """A new session; raises UnauthenticatedError (the same for every cause) on failure."""
        with self.store.read() as tx:
            row = tx.find_user(username)
        ok = passwords.verify_password(row.password_hash if row else None, password)
        if row is None or not ok or row.disabled:
            raise UnauthenticatedError(_BAD_LOGIN)
        now = self._now()
        session = SessionRow(new_id(), row.id, now, self._now(self.refresh_ttl_seconds), None)
        refresh = keys.new_refresh_token(new_id())
        with self.store.write() as tx:
            if passwords.needs_rehash(row.password_hash):
                tx.update_user(row.id, {"password_hash": passwords.hash_password(password)})
            tx.insert_session(session)
            tx.insert_refresh_token(
                RefreshTokenRow(refresh.lookup, session.id, refresh.digest, now, session.expires_at, None)
            )
        return self._pair(row, session.id, refresh.text)

    def _pair(self, row: UserRow, session_id: str, refresh_text: str) -> TokenPair:
        access = self.signer.issue(username=row.username, role=row.role, session_id=session_id)
        return TokenPair(access_token=access, refresh_token=refresh_text, expires_in=self.signer.ttl_seconds)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Spend a refresh token for a new pair. Reusing a spent one revokes its whole session."""
        parts = keys.split_refresh_token(refresh_token)
        if parts is None:
            raise UnauthenticatedError(_BAD_REFRESH, field="refresh_token")
        token_id, secret = parts
        now = self._now()
        reused_session: str | None = None
        with self.store.write() as tx:
            token = tx.find_refresh_token(token_id)
            if token is None or not keys.same_digest(token.secret_hash, secret):
                raise UnauthenticatedError(_BAD_REFRESH, field="refresh_token")
            found = tx.find_session(token.session_id)
            assert found is not None  # a token belongs to its session (foreign key)
            session, user = found
            if session.revoked_at is not None or session.expires_at <= now or user.disabled:
                raise UnauthenticatedError(_BAD_REFRESH, field="refresh_token")
            if token.spent_at is not None or not tx.spend_refresh_token(token.id, now):
                # A spent token came back: it was stolen or replayed. End the session for both.
                tx.revoke_session(session.id, now)
                tx.append_event(
                    type=EventType.SESSION_REVOKED, subject=f"user:{user.username}", actor="system", at=now,
                    payload={"session": session.id, "reason": "refresh_token_reuse"},
                )
                reused_session = session.id
            else:
                fresh = keys.new_refresh_token(new_id())
                tx.insert_refresh_token(
                    RefreshTokenRow(fresh.lookup, session.id, fresh.digest, now, session.expires_at, None)
                )
        if reused_session is not None:  # raised after commit, so the revocation stays
            raise UnauthenticatedError("the refresh token was already used; the session is revoked",
                                       field="refresh_token")
        return self._pair(user, session.id, fresh.text)

    def logout(self, principal: Principal) -> None:
        """Revoke the session the principal's access token belongs to (no-op for an API key)."""
        if principal.session_id is None:
            return
        now = self._now()
        with self.store.write() as tx:
            tx.revoke_session(principal.session_id, now)

    # --------------------------------------------------------- authentication
    def authenticate(self, bearer: str) -> Principal:
        """The principal of an access token or API key; raises UnauthenticatedError otherwise.

        When the store has a change counter (SQLite), the answer for a credential is reused
        while nothing was committed since it was read (see ``recent``): a revocation is a
        commit, so it is seen by the next request all the same."""
        version = self.store.change_counter()
        cache_key = self._recent.key(bearer) if version is not None else b""
        if version is not None:
            # Known answers hold no longer than the token they came from (``good_until``), and
            # only a credential that verified was ever put there: no need to verify it again.
            known = self._recent.get(cache_key, version, self.clock())
            if known is not None:
                return known
        claims = None if keys.is_api_key(bearer) else self.signer.verify(bearer)
        principal, good_until = self._authenticate_key(bearer) if claims is None else self._authenticate_session(claims)
        if version is not None:
            self._recent.put(cache_key, principal, version, good_until)
        return principal

    def _authenticate_session(self, claims: AccessClaims) -> tuple[Principal, float]:
        """(the principal, until when the answer holds without a commit)."""
        now = self._now()
        with self.store.read() as tx:
            found = tx.find_session(claims.session_id)
        if found is None:
            raise UnauthenticatedError("the access token is not valid")
        session, user = found
        if session.revoked_at is not None or user.disabled or user.username != claims.username:
            raise UnauthenticatedError("the session has ended; log in again")
        if session.expires_at <= now:
            raise UnauthenticatedError("the session has expired; log in again")
        principal = Principal(username=user.username, role=Role(user.role), session_id=session.id)
        return principal, min(epoch_of(session.expires_at), claims.expires_at)

    def _authenticate_key(self, text: str) -> tuple[Principal, float]:
        """(the principal, until when the answer holds without a commit: the key's expiry, or
        the moment its last-used time is due to be written)."""
        parts = keys.split_api_key(text)
        assert parts is not None
        prefix, secret = parts
        with self.store.read() as tx:
            row = tx.find_api_key(prefix=prefix)
        if row is None or not keys.same_digest(row.secret_hash, secret):
            raise UnauthenticatedError("the API key is not valid")
        if row.revoked_at is not None or row.owner_disabled:
            raise UnauthenticatedError("the API key is revoked")
        moment = self.clock()
        now = format_epoch(moment)
        if row.expires_at is not None and row.expires_at <= now:
            raise UnauthenticatedError("the API key has expired")
        last_used = row.last_used_at
        # Written at most once a minute per key: compare the minutes first, and format the
        # time a minute ago only when they differ.
        if last_used is None or (
            last_used[:16] != now[:16] and last_used < format_epoch(moment - LAST_USED_PRECISION_SECONDS)
        ):
            with self.store.write() as tx:
                tx.touch_api_key(row.id, now)
            last_used = now
        # A key never outranks its owner, even after the owner was demoted.
        role = min(Role(row.role), Role(row.owner_role), key=lambda r: r.rank)
        good_until = epoch_of(last_used) + LAST_USED_PRECISION_SECONDS
        if row.expires_at is not None:
            good_until = min(good_until, epoch_of(row.expires_at))
        return Principal(username=row.username, role=role, api_key_id=row.id), good_until

    # -------------------------------------------------------------- API keys
    def create_api_key(
        self, principal: Principal, name: str, *, role: str | Role | None = None, expires_at: str | None = None
    ) -> CreatedApiKey:
        """A key acting for the principal's user with at most its role; the secret is in the answer only."""
        if not 1 <= len(name) <= 128:
            raise ValidationError("a key name has 1 to 128 characters", code="invalid_parameter", field="name")
        key_role = parse_role(role) if role is not None else principal.role
        if not principal.role.includes(key_role):
            raise ForbiddenError(f"a {principal.role.value} cannot create a key with role {key_role.value}",
                                 field="role")
        now = self._now()
        expires = parse_time(expires_at, field="expires_at") if expires_at else None
        if expires is not None and expires <= now:
            raise ValidationError("expires_at is in the past", code="invalid_parameter", field="expires_at")
        secret = keys.new_api_key()
        with self.store.write() as tx:
            owner = self._get_user(tx, principal.username)
            row = ApiKeyRow(new_id(), secret.lookup, secret.digest, name, owner.id, owner.username,
                            key_role.value, now, expires, None, None)
            tx.insert_api_key(row)
            tx.append_event(
                type=EventType.API_KEY_CREATED, subject=f"api_key:{row.id}", actor=principal.name, at=now,
                payload={"after": {"id": row.id, "name": name, "prefix": row.prefix, "owner": owner.username,
                                   "role": key_role.value, "expires_at": expires}},
            )
        return CreatedApiKey(**_key(row).model_dump(), key=secret.text)

    def list_api_keys(self, principal: Principal, *, every_user: bool = False) -> list[ApiKey]:
        """The principal's keys (every user's with ``every_user``, for those who manage users)."""
        with self.store.read() as tx:
            if every_user:
                return [_key(r) for r in tx.list_api_keys(None)]
            owner = self._get_user(tx, principal.username)
            return [_key(r) for r in tx.list_api_keys(owner.id)]

    def revoke_api_key(self, principal: Principal, key_id: str, *, any_owner: bool = False) -> ApiKey:
        """Revoke a key of the principal (of anyone with ``any_owner``); NotFoundError otherwise."""
        now = self._now()
        with self.store.write() as tx:
            row = tx.find_api_key(id=key_id)
            if row is None or (row.username != principal.username and not any_owner):
                raise NotFoundError(f"no API key {key_id!r}", field="id")
            if row.revoked_at is None:
                tx.revoke_api_key(row.id, now)
                tx.append_event(
                    type=EventType.API_KEY_REVOKED, subject=f"api_key:{row.id}", actor=principal.name, at=now,
                    payload={"before": {"id": row.id, "name": row.name, "prefix": row.prefix, "owner": row.username}},
                )
            revoked = tx.find_api_key(id=key_id)
        assert revoked is not None
        return _key(revoked)

    # ---------------------------------------------------------------- grants
    def grant_namespace(self, namespace: str, username: str, *, actor: str) -> NamespaceGrant:
        """Let ``username`` write in ``namespace`` (which then becomes closed to others)."""
        if not _NAMESPACE.fullmatch(namespace):
            raise ValidationError(f"invalid namespace {namespace!r}", code="invalid_name", field="namespace")
        now = self._now()
        with self.store.write() as tx:
            self._get_user(tx, username)
            if tx.insert_grant(GrantRow(namespace, username, now, actor)):
                tx.append_event(
                    type=EventType.NAMESPACE_GRANTED, subject=f"namespace:{namespace}", actor=actor, at=now,
                    payload={"after": {"namespace": namespace, "username": username}},
                )
            grant = tx.list_grants(namespace, username)[0]
        return NamespaceGrant(namespace=grant.namespace, username=grant.username, created_at=grant.created_at,
                              created_by=grant.created_by)

    def revoke_namespace(self, namespace: str, username: str, *, actor: str) -> None:
        """Remove a grant; raises NotFoundError when there was none."""
        now = self._now()
        with self.store.write() as tx:
            if not tx.delete_grant(namespace, username):
                raise NotFoundError(f"{username!r} has no grant on namespace {namespace!r}", field="namespace")
            tx.append_event(
                type=EventType.NAMESPACE_REVOKED, subject=f"namespace:{namespace}", actor=actor, at=now,
                payload={"before": {"namespace": namespace, "username": username}},
            )

    def list_grants(self, *, namespace: str | None = None, username: str | None = None) -> list[NamespaceGrant]:
        with self.store.read() as tx:
            rows = tx.list_grants(namespace, username)
        return [NamespaceGrant(namespace=r.namespace, username=r.username, created_at=r.created_at,
                               created_by=r.created_by) for r in rows]

    def may_write_namespace(self, principal: Principal, namespace: str) -> bool:
        """Admins write anywhere; others in namespaces without grants or granted to them."""
        if principal.role is Role.ADMIN:
            return True
        with self.store.read() as tx:
            grantees = tx.namespace_grantees(namespace)
        return not grantees or principal.username in grantees
