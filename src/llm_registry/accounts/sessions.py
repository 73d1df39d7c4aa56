"""Sessions and authentication: log in, refresh (rotating), log out, and who a bearer is.

A login opens a session (a refresh-token family) and answers a short-lived access token
(``tokens.TokenSigner``) with a refresh token; a refresh spends the refresh token for a new
pair, and a spent one presented again revokes the whole session. ``authenticate`` turns an
access token or an API key into the ``Actor`` it stands for, checking on every call that the
session is live, the key unrevoked and the user enabled.
"""

from __future__ import annotations

from llm_registry.accounts import keys, passwords
from llm_registry.accounts.interfaces import AccountStore, RefreshTokenRow, SessionRow, UserRow
from llm_registry.accounts.models import TokenPair
from llm_registry.accounts.recent import RecentCredentials
from llm_registry.accounts.tokens import AccessClaims, TokenSigner
from llm_registry.domain.access import Actor, Role
from llm_registry.domain.ids import new_id
from llm_registry.domain.times import Clock, epoch_of, format_epoch, system_clock
from llm_registry.errors import UnauthenticatedError
from llm_registry.events.models import EventType

# last_used_at is written at most this often per key, so that keys cost no write per request.
LAST_USED_PRECISION_SECONDS = 60
_BAD_LOGIN = "invalid username or password"
_BAD_REFRESH = "the refresh token is not valid; log in again"


class SessionService:
    def __init__(
        self, store: AccountStore, signer: TokenSigner, *, refresh_ttl_seconds: int, clock: Clock = system_clock
    ) -> None:
        self.store = store
        self.signer = signer
        self.refresh_ttl_seconds = refresh_ttl_seconds
        self.clock = clock
        self._recent = RecentCredentials()

    def _now(self, offset: float = 0.0) -> str:
        return format_epoch(self.clock() + offset)

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

    def logout(self, actor: Actor) -> None:
        """Revoke the session the actor's access token belongs to (no-op for an API key)."""
        if actor.session_id is None:
            return
        now = self._now()
        with self.store.write() as tx:
            tx.revoke_session(actor.session_id, now)

    def authenticate(self, bearer: str) -> Actor:
        """The actor of an access token or API key; raises UnauthenticatedError otherwise.

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
        actor, good_until = self._authenticate_key(bearer) if claims is None else self._authenticate_session(claims)
        if version is not None:
            self._recent.put(cache_key, actor, version, good_until)
        return actor

    def _authenticate_session(self, claims: AccessClaims) -> tuple[Actor, float]:
        """(the actor, until when the answer holds without a commit)."""
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
        actor = Actor(username=user.username, role=Role(user.role), session_id=session.id)
        return actor, min(epoch_of(session.expires_at), claims.expires_at)

    def _authenticate_key(self, text: str) -> tuple[Actor, float]:
        """(the actor, until when the answer holds without a commit: the key's expiry, or the
        moment its last-used time is due to be written)."""
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
        return Actor(username=row.username, role=role, api_key_id=row.id), good_until
