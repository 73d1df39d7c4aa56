"""Answers of recent credential checks are reused only while nothing was committed since, and
never past an expiry or a due last-used update; changes made by another process are seen at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llm_registry import bootstrap
from llm_registry.accounts.models import Principal, Role
from llm_registry.accounts.services import LAST_USED_PRECISION_SECONDS, AccountService
from llm_registry.assets.interfaces import AssetStore
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
    admin = accounts.create_user("root", PASSWORD, "admin", actor="test")
    key = accounts.create_api_key(Principal(admin.username, Role.ADMIN), "ci")
    token = accounts.login("root", PASSWORD).access_token
    for bearer in (key.key, token):
        accounts.authenticate(bearer)  # read (and, for the key, its last-used time written)
        accounts.authenticate(bearer)
    reads = _reads(accounts)
    for _ in range(5):
        assert accounts.authenticate(key.key).api_key_id == key.id
        assert accounts.authenticate(token).username == "root"
    assert reads == []
    accounts.create_user("other", PASSWORD, "viewer", actor="root")  # any commit
    accounts.authenticate(key.key)
    assert reads == ["read"]


def test_a_revocation_by_another_process_is_seen_by_the_next_request(
    tmp_path: Path, open_service: Callable[..., AccountService]
) -> None:
    accounts = open_service(str(tmp_path))
    admin = accounts.create_user("root", PASSWORD, "admin", actor="test")
    accounts.create_user("dev", PASSWORD, "developer", actor="root")
    key = accounts.create_api_key(Principal("dev", Role.DEVELOPER), "ci")
    token = accounts.login("dev", PASSWORD).access_token
    for _ in range(3):
        accounts.authenticate(key.key)
        assert accounts.authenticate(token).role is Role.DEVELOPER
    # Another process demotes dev, then disables it.
    script = (
        "import sys; from llm_registry import bootstrap; from tests.access.conftest import ACCESS_SETTINGS;"
        "s = bootstrap.build_account_service(bootstrap.open_store(sys.argv[1], ACCESS_SETTINGS), ACCESS_SETTINGS);"
        "s.update_user('dev', role=sys.argv[2], actor='root') if sys.argv[2] != 'off' else"
        " s.update_user('dev', disabled=True, actor='root')"
    )
    run = [sys.executable, "-c", script, str(tmp_path)]
    subprocess.run([*run, "viewer"], check=True, cwd=Path(__file__).parents[2])
    assert accounts.authenticate(key.key).role is Role.VIEWER  # a key never outranks its owner
    subprocess.run([*run, "off"], check=True, cwd=Path(__file__).parents[2])
    for bearer in (key.key, token):
        with pytest.raises(UnauthenticatedError):
            accounts.authenticate(bearer)
    assert admin.username == "root"


def test_an_answer_is_not_reused_past_an_expiry_or_a_due_last_used_time(
    tmp_path: Path, open_service: Callable[..., AccountService]
) -> None:
    clock = Clock(2_000_000_000.0)
    accounts = open_service(str(tmp_path), clock)
    admin = Principal(accounts.create_user("root", PASSWORD, "admin", actor="test").username, Role.ADMIN)
    short = accounts.create_api_key(admin, "short", expires_at="2033-05-18T03:33:50Z")  # clock + 30 s
    lasting = accounts.create_api_key(admin, "lasting")
    accounts.authenticate(short.key)
    accounts.authenticate(lasting.key)
    accounts.authenticate(lasting.key)
    clock.now += 40  # no commit since, but the short key has expired
    with pytest.raises(UnauthenticatedError):
        accounts.authenticate(short.key)
    reads = _reads(accounts)
    accounts.authenticate(lasting.key)
    assert reads == []
    clock.now += LAST_USED_PRECISION_SECONDS  # its last-used time is due: read, and written
    accounts.authenticate(lasting.key)
    assert reads == ["read"]
    listed = {k.name: k for k in accounts.list_api_keys(admin)}
    assert listed["lasting"].last_used_at == "2033-05-18T03:35:00.000000Z"


def test_postgresql_reads_every_time(postgres_url: str, open_service: Callable[..., AccountService]) -> None:
    accounts = open_service(postgres_url)
    admin = accounts.create_user("root", PASSWORD, "admin", actor="test")
    key = accounts.create_api_key(Principal(admin.username, Role.ADMIN), "ci")
    accounts.authenticate(key.key)
    reads = _reads(accounts)
    accounts.authenticate(key.key)
    accounts.authenticate(key.key)
    assert reads == ["read", "read"]
