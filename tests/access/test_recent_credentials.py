"""Answers of recent credential checks are reused only while nothing was committed since, and
never past an expiry or a due last-used update; changes made by another process are seen at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llm_registry import bootstrap
from llm_registry.accounts.services import AccountService
from llm_registry.accounts.sessions import LAST_USED_PRECISION_SECONDS
from llm_registry.accounts.users import SYSTEM
from llm_registry.assets.interfaces import AssetStore
from llm_registry.domain.access import Actor, Role
from llm_registry.errors import UnauthenticatedError
from tests.access.conftest import ACCESS_SETTINGS

PASSWORD = "correct-horse-battery"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def open_service() -> Iterator[Callable[..., AccountService]]:
    """Account services on stores closed after the test."""
    stores: list[AssetStore] = []

    def open_(location: str, clock: Clock | None = None) -> AccountService:
        store = bootstrap.open_store(location, ACCESS_SETTINGS)
        stores.append(store)
        if clock is None:
            return bootstrap.build_account_service(store, ACCESS_SETTINGS)
        return bootstrap.build_account_service(store, ACCESS_SETTINGS, clock=clock)

    yield open_
    for store in stores:
        store.close()


def _reads(service: AccountService) -> list[str]:
    """Count the account reads the service makes from now on."""
    seen: list[str] = []
    original = service.store.read

    def counting() -> object:
        seen.append("read")
        return original()

    service.store.read = counting  # type: ignore[method-assign]
    return seen


def test_sqlite_reuses_an_answer_until_anything_is_committed(
    tmp_path: Path, open_service: Callable[..., AccountService]
) -> None:
    accounts = open_service(str(tmp_path))
    admin = accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
    key = accounts.api_keys.create_api_key(Actor(admin.username, Role.ADMIN), "ci")
    token = accounts.sessions.login("root", PASSWORD).access_token
    for bearer in (key.key, token):
        accounts.sessions.authenticate(bearer)  # read (and, for the key, its last-used time written)
        accounts.sessions.authenticate(bearer)
    reads = _reads(accounts)
    for _ in range(5):
        assert accounts.sessions.authenticate(key.key).api_key_id == key.id
        assert accounts.sessions.authenticate(token).username == "root"
    assert reads == []
    accounts.users.create_user("other", PASSWORD, "viewer", actor=SYSTEM)  # any commit
    accounts.sessions.authenticate(key.key)
    assert reads == ["read"]


def test_a_revocation_by_another_process_is_seen_by_the_next_request(
    tmp_path: Path, open_service: Callable[..., AccountService]
) -> None:
    accounts = open_service(str(tmp_path))
    admin = accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
    accounts.users.create_user("dev", PASSWORD, "developer", actor=SYSTEM)
    key = accounts.api_keys.create_api_key(Actor("dev", Role.DEVELOPER), "ci")
    token = accounts.sessions.login("dev", PASSWORD).access_token
    for _ in range(3):
        accounts.sessions.authenticate(key.key)
        assert accounts.sessions.authenticate(token).role is Role.DEVELOPER
    # Another process demotes dev, then disables it.
    script = (
        "import sys; from llm_registry import bootstrap; from tests.access.conftest import ACCESS_SETTINGS;"
        "s = bootstrap.build_account_service(bootstrap.open_store(sys.argv[1], ACCESS_SETTINGS), ACCESS_SETTINGS);"
        "from llm_registry.accounts.users import SYSTEM as root;"
        "s.users.update_user('dev', role=sys.argv[2], actor=root) if sys.argv[2] != 'off' else"
        " s.users.update_user('dev', disabled=True, actor=root)"
    )
    run = [sys.executable, "-c", script, str(tmp_path)]
    subprocess.run([*run, "viewer"], check=True, cwd=Path(__file__).parents[2])
    assert accounts.sessions.authenticate(key.key).role is Role.VIEWER  # a key never outranks its owner
    subprocess.run([*run, "off"], check=True, cwd=Path(__file__).parents[2])
    for bearer in (key.key, token):
        with pytest.raises(UnauthenticatedError):
            accounts.sessions.authenticate(bearer)
    assert admin.username == "root"


def test_an_answer_is_not_reused_past_an_expiry_or_a_due_last_used_time(
    tmp_path: Path, open_service: Callable[..., AccountService]
) -> None:
    clock = Clock(2_000_000_000.0)
    accounts = open_service(str(tmp_path), clock)
    admin = Actor(accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM).username, Role.ADMIN)
    short = accounts.api_keys.create_api_key(admin, "short", expires_at="2033-05-18T03:33:50Z")  # clock + 30 s
    lasting = accounts.api_keys.create_api_key(admin, "lasting")
    accounts.sessions.authenticate(short.key)
    accounts.sessions.authenticate(lasting.key)
    accounts.sessions.authenticate(lasting.key)
    clock.now += 40  # no commit since, but the short key has expired
    with pytest.raises(UnauthenticatedError):
        accounts.sessions.authenticate(short.key)
    reads = _reads(accounts)
    accounts.sessions.authenticate(lasting.key)
    assert reads == []
    clock.now += LAST_USED_PRECISION_SECONDS  # its last-used time is due: read, and written
    accounts.sessions.authenticate(lasting.key)
    assert reads == ["read"]
    listed = {k.name: k for k in accounts.api_keys.list_api_keys(admin)}
    assert listed["lasting"].last_used_at == "2033-05-18T03:35:00.000000Z"


def test_postgresql_reads_every_time(postgres_url: str, open_service: Callable[..., AccountService]) -> None:
    accounts = open_service(postgres_url)
    admin = accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
    key = accounts.api_keys.create_api_key(Actor(admin.username, Role.ADMIN), "ci")
    accounts.sessions.authenticate(key.key)
    reads = _reads(accounts)
    accounts.sessions.authenticate(key.key)
    accounts.sessions.authenticate(key.key)
    assert reads == ["read", "read"]
