"""Users, sessions and API keys on both backends: the service against real stores."""

from __future__ import annotations

import subprocess
import sys
import time

import jwt
import pytest

from llm_registry import bootstrap
from llm_registry.accounts.services import AccountService
from llm_registry.accounts.tokens import TokenSigner, signing_key
from llm_registry.accounts.users import SYSTEM
from llm_registry.assets.interfaces import AssetStore
from llm_registry.domain.access import Actor, Role
from llm_registry.errors import ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError
from tests.access.conftest import ACCESS_SETTINGS, SECRET

PASSWORD = "correct horse battery"


def _admin(accounts: AccountService) -> Actor:
    accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
    return accounts.sessions.authenticate(accounts.sessions.login("root", PASSWORD).access_token)


def test_create_user_stores_an_argon2_hash_and_records_an_event(accounts: AccountService) -> None:
    user = accounts.users.create_user("alice", PASSWORD, "developer", actor=SYSTEM)
    assert (user.username, user.role, user.disabled) == ("alice", Role.DEVELOPER, False)
    with accounts.store.read() as tx:
        row = tx.find_user("alice")
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    with pytest.raises(ConflictError):
        accounts.users.create_user("alice", PASSWORD, "user", actor=SYSTEM)
    with pytest.raises(ValidationError):
        accounts.users.create_user("Bad Name", PASSWORD, "user", actor=SYSTEM)
    with pytest.raises(ValidationError):
        accounts.users.create_user("bob", "short", "user", actor=SYSTEM)
    with pytest.raises(ValidationError):
        accounts.users.create_user("bob", PASSWORD, "emperor", actor=SYSTEM)


def test_login_refresh_rotation_and_reuse_revokes_the_family(accounts: AccountService) -> None:
    accounts.users.create_user("alice", PASSWORD, "user", actor=SYSTEM)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.login("alice", "wrong password")
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.login("nobody", PASSWORD)
    first = accounts.sessions.login("alice", PASSWORD)
    principal = accounts.sessions.authenticate(first.access_token)
    assert principal.username == "alice"
    assert principal.role is Role.USER
    second = accounts.sessions.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = accounts.sessions.refresh(second.refresh_token)
    # The first token comes back (stolen): the whole session ends, even the newest tokens.
    with pytest.raises(UnauthenticatedError, match="already used"):
        accounts.sessions.refresh(first.refresh_token)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.refresh(third.refresh_token)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.authenticate(third.access_token)
    other = accounts.sessions.login("alice", PASSWORD)  # another session is untouched
    assert accounts.sessions.authenticate(other.access_token).username == "alice"


def test_logout_and_disable_stop_tokens_and_keys_at_once(accounts: AccountService) -> None:
    admin = _admin(accounts)
    accounts.users.create_user("dev", PASSWORD, "developer", actor=SYSTEM)
    pair = accounts.sessions.login("dev", PASSWORD)
    dev = accounts.sessions.authenticate(pair.access_token)
    accounts.sessions.logout(dev)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.authenticate(pair.access_token)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.refresh(pair.refresh_token)
    pair = accounts.sessions.login("dev", PASSWORD)
    key = accounts.api_keys.create_api_key(accounts.sessions.authenticate(pair.access_token), "ci")
    assert accounts.sessions.authenticate(key.key).api_key_id == key.id
    accounts.users.update_user("dev", disabled=True, actor=admin)
    for bearer in (pair.access_token, key.key):
        with pytest.raises(UnauthenticatedError):
            accounts.sessions.authenticate(bearer)
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.login("dev", PASSWORD)
    with pytest.raises(ConflictError):  # the last admin stays
        accounts.users.update_user("root", role="user", actor=admin)
    events = [e.type for e in _events(accounts)]
    assert "user.disabled" in events
    assert "api_key.created" in events


def _events(accounts: AccountService) -> list[object]:
    from llm_registry.events.models import Event

    with accounts.store.read() as tx:
        items: list[Event] = tx.tx.list_events(after=0, types=[], subject=None, actor=None, since=None,  # type: ignore[attr-defined]
                                               until=None, limit=1000)
    return list(items)


def test_api_keys_are_hashed_scoped_and_revocable(accounts: AccountService) -> None:
    accounts.users.create_user("dev", PASSWORD, "developer", actor=SYSTEM)
    dev = accounts.sessions.authenticate(accounts.sessions.login("dev", PASSWORD).access_token)
    with pytest.raises(ForbiddenError):
        accounts.api_keys.create_api_key(dev, "too wide", role="admin")
    with pytest.raises(ValidationError):
        accounts.api_keys.create_api_key(dev, "old", expires_at="2001-01-01T00:00:00Z")
    created = accounts.api_keys.create_api_key(dev, "reader", role="viewer", expires_at="2999-01-01T00:00:00Z")
    assert created.key.startswith(created.prefix + "_")
    with accounts.store.read() as tx:
        row = tx.find_api_key(id=created.id)
    assert row is not None
    assert created.key.split("_")[-1] not in row.secret_hash
    principal = accounts.sessions.authenticate(created.key)
    assert (principal.username, principal.role) == ("dev", Role.VIEWER)
    listed = accounts.api_keys.list_api_keys(dev)
    assert [k.id for k in listed] == [created.id]
    assert listed[0].last_used_at is not None
    assert "key" not in listed[0].model_dump()
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.authenticate(created.key[:-2] + "xx")
    accounts.users.create_user("eve", PASSWORD, "developer", actor=SYSTEM)
    eve = accounts.sessions.authenticate(accounts.sessions.login("eve", PASSWORD).access_token)
    with pytest.raises(NotFoundError):
        accounts.api_keys.revoke_api_key(eve, created.id)
    assert accounts.api_keys.revoke_api_key(dev, created.id).revoked_at is not None
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.authenticate(created.key)


def test_every_users_keys_are_for_those_who_manage_users(accounts: AccountService) -> None:
    """The service decides: listing every user's keys needs users:manage (a developer asking is
    refused, not answered its own keys), and so does revoking someone else's key."""
    admin = _admin(accounts)
    accounts.users.create_user("dev", PASSWORD, "developer", actor=admin)
    dev = accounts.sessions.authenticate(accounts.sessions.login("dev", PASSWORD).access_token)
    mine = accounts.api_keys.create_api_key(dev, "ci")
    theirs = accounts.api_keys.create_api_key(admin, "ops")
    with pytest.raises(ForbiddenError, match="users:manage"):
        accounts.api_keys.list_api_keys(dev, every_user=True)
    assert [k.id for k in accounts.api_keys.list_api_keys(dev)] == [mine.id]
    assert {k.id for k in accounts.api_keys.list_api_keys(admin, every_user=True)} == {mine.id, theirs.id}
    assert [k.id for k in accounts.api_keys.list_api_keys(admin)] == [theirs.id]
    with pytest.raises(NotFoundError):
        accounts.api_keys.revoke_api_key(dev, theirs.id)
    assert accounts.api_keys.revoke_api_key(admin, mine.id).revoked_at is not None


def test_managing_users_and_grants_needs_users_manage(accounts: AccountService) -> None:
    admin = _admin(accounts)
    accounts.users.create_user("dev", PASSWORD, "developer", actor=admin)
    dev = Actor("dev", Role.DEVELOPER)
    refused = [
        lambda: accounts.users.create_user("eve", PASSWORD, "viewer", actor=dev),
        lambda: accounts.users.list_users(actor=dev),
        lambda: accounts.users.get_user("root", actor=dev),
        lambda: accounts.users.update_user("dev", role="admin", actor=dev),
        lambda: accounts.grants.grant_namespace("acme", "dev", actor=dev),
        lambda: accounts.grants.revoke_namespace("acme", "dev", actor=dev),
        lambda: accounts.grants.list_grants(actor=dev),
    ]
    for call in refused:
        with pytest.raises(ForbiddenError):
            call()
    assert accounts.users.get_user("dev", actor=dev).role is Role.DEVELOPER  # oneself
    assert [u.username for u in accounts.users.list_users(actor=admin)] == ["dev", "root"]


def test_namespace_grants_close_a_namespace_to_others(accounts: AccountService) -> None:
    admin = _admin(accounts)
    accounts.users.create_user("alice", PASSWORD, "user", actor=SYSTEM)
    accounts.users.create_user("bob", PASSWORD, "user", actor=SYSTEM)
    alice = Actor("alice", Role.USER)
    bob = Actor("bob", Role.USER)
    assert accounts.authorizer.may_write_namespace(bob, "acme")
    accounts.grants.grant_namespace("acme", "alice", actor=admin)
    assert accounts.authorizer.may_write_namespace(alice, "acme")
    assert not accounts.authorizer.may_write_namespace(bob, "acme")
    assert accounts.authorizer.may_write_namespace(admin, "acme")
    assert [g.username for g in accounts.grants.list_grants(actor=admin, namespace="acme")] == ["alice"]
    accounts.grants.revoke_namespace("acme", "alice", actor=admin)
    assert accounts.authorizer.may_write_namespace(bob, "acme")
    with pytest.raises(NotFoundError):
        accounts.grants.revoke_namespace("acme", "alice", actor=admin)


def _forge(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> str:
    header = {"kid": signing_key(SECRET).kid}
    return jwt.encode(claims, key, algorithm=algorithm, headers=header)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_forged_and_expired_jwts_are_refused(accounts: AccountService) -> None:
    accounts.users.create_user("alice", PASSWORD, "user", actor=SYSTEM)
    good = accounts.sessions.login("alice", PASSWORD).access_token
    claims = jwt.decode(good, SECRET, algorithms=["HS256"], audience="llm-registry")
    now = int(time.time())
    header, _payload, signature = good.split(".")
    forged = [
        jwt.encode(claims, None, algorithm="none"),  # alg: none
        _forge(claims, key="k" * 40),  # wrong key
        _forge({**claims, "exp": now - 10, "iat": now - 100, "nbf": now - 100}),  # expired
        _forge({**claims, "aud": "another-service"}),  # wrong audience
        _forge({**claims, "iss": "someone-else"}),  # wrong issuer
        f"{header}.{_forge({**claims, 'sub': 'root'}).split('.')[1]}.{signature}",  # tampered payload
        "not.a.jwt",
        "",
    ]
    for token in forged:
        with pytest.raises(UnauthenticatedError):
            accounts.sessions.authenticate(token)
    assert accounts.sessions.authenticate(good).username == "alice"


def test_signing_key_rotation_keeps_old_tokens_valid() -> None:
    old, new = "o" * 40, "n" * 40
    before = TokenSigner([signing_key(old)], issuer="i", audience="a", ttl_seconds=60)
    after = TokenSigner([signing_key(new), signing_key(old)], issuer="i", audience="a", ttl_seconds=60)
    token = before.issue(username="alice", role="user", session_id="s" * 26)
    assert after.verify(token).username == "alice"
    assert jwt.get_unverified_header(after.issue(username="a", role="user", session_id="x"))["kid"] == after.current.kid
    dropped = TokenSigner([signing_key(new)], issuer="i", audience="a", ttl_seconds=60)
    with pytest.raises(UnauthenticatedError):
        dropped.verify(token)
    with pytest.raises(ValidationError):
        signing_key("short")


def test_importing_the_password_module_hashes_nothing() -> None:
    """The dummy hash (what an unknown user's login is checked against) is made on first use."""
    script = (
        "import argon2\n"
        "calls = []\n"
        "original = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)\n"
        "from llm_registry.accounts import passwords\n"
        "assert calls == [], 'hashed at import'\n"
        "assert not passwords.verify_password(None, 'correct horse battery')\n"
        "assert not passwords.verify_password(None, 'another password')\n"
        "assert calls == [1], calls\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_tokens_follow_the_service_clock(asset_store: AssetStore) -> None:
    """One clock for sessions and tokens: a token issued in 2030 (by the service's clock) is good
    then, and refused once that clock passes its expiry."""
    clock = FakeClock(1_900_000_000.0)  # 2030-03-17
    accounts = bootstrap.build_account_service(asset_store, ACCESS_SETTINGS, clock=clock)
    accounts.users.create_user("alice", PASSWORD, "user", actor=SYSTEM)
    pair = accounts.sessions.login("alice", PASSWORD)
    claims = jwt.decode(pair.access_token, SECRET, algorithms=["HS256"], audience="llm-registry",
                        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
    assert claims["iat"] == 1_900_000_000
    assert claims["exp"] == 1_900_000_000 + ACCESS_SETTINGS.access_token_ttl
    assert accounts.sessions.authenticate(pair.access_token).username == "alice"
    clock.now += ACCESS_SETTINGS.access_token_ttl - 1
    assert accounts.sessions.authenticate(pair.access_token).username == "alice"
    clock.now += 1
    with pytest.raises(UnauthenticatedError, match="expired"):
        accounts.sessions.authenticate(pair.access_token)
    # A fresh signer (no verified-token memory) judges by the same clock.
    again = bootstrap.build_account_service(asset_store, ACCESS_SETTINGS, clock=clock)
    with pytest.raises(UnauthenticatedError, match="expired"):
        again.sessions.authenticate(pair.access_token)
    renewed = accounts.sessions.refresh(pair.refresh_token)
    assert again.sessions.authenticate(renewed.access_token).username == "alice"
