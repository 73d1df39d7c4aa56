"""Remote sessions that keep working: the saved login of ``llm-registry login`` is renewed by the
Python client and the CLI alike when the access token expires, and two processes renewing at
once keep the session (a refresh token is spent by its use)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from llm_registry.accounts import credentials
from llm_registry.cli.main import build_app as build_cli
from llm_registry.errors import UnauthenticatedError
from llm_registry.registry import Registry
from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings
from tests.access.rest import PASSWORD, Borrowed, Server, build_app, running, serving

cli_app = build_cli()

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
TTL = 900  # the default access_token_ttl


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recording(Borrowed):
    """Another's transport, and the paths of the requests sent through it."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        super().__init__(transport)
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return super().handle_request(request)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder of this test's own (the saved logins live there)."""
    folder = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.delenv("LLM_REGISTRY_TOKEN", raising=False)
    return folder


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_900_000_000.0)  # 2030: the server's time only; the client keeps its own


@pytest.fixture
def server(location: str, clock: FakeClock) -> Iterator[Server]:
    with running(location, clock=clock) as server:
        yield server


def _log_in(server: Server, url: str, username: str = "developer1") -> dict[str, object]:
    pair = server.client.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()
    credentials.store_tokens(url, pair, username)
    return pair


def _saved(url: str) -> dict[str, object]:
    return dict(json.loads(credentials.credentials_path().read_text())[url])


def _model(number: int) -> dict[str, object]:
    return {"kind": "model", "name": f"acme/m{number}", "version": "1.0.0", "spec": {"architecture": "llama"}}


def test_the_python_client_renews_an_expired_token_and_retries_once(server: Server, clock: FakeClock,
                                                                   config: Path) -> None:
    first = _log_in(server, "http://r.test")
    transport = Recording(server.transport)
    with RemoteRegistry("http://r.test", settings=Settings.load(environ={}), transport=transport) as remote:
        remote.register(_model(1))
        clock.now += TTL + 1  # the server's clock passes the token's expiry; the client's does not
        assert [e.type for e in remote.events().items] == ["asset.registered"]
        remote.register(_model(2))
    assert transport.paths == ["/v1/models", "/v1/events", "/v1/auth/refresh", "/v1/events", "/v1/models"]
    saved = _saved("http://r.test")
    assert saved["refresh_token"] != first["refresh_token"]  # rotated, and the new pair stored
    assert saved["access_token"] != first["access_token"]
    assert saved["username"] == "developer1"
    with pytest.raises(UnauthenticatedError):  # the old refresh token is spent
        server.accounts.sessions.refresh(str(first["refresh_token"]))


def test_an_explicit_token_is_not_renewed(server: Server, clock: FakeClock, config: Path) -> None:
    _log_in(server, "http://r.test")
    transport = Recording(server.transport)
    token = server.tokens["developer"]
    with RemoteRegistry("http://r.test", settings=Settings.load(environ={}), token=token,
                        transport=transport) as remote:
        clock.now += TTL + 1
        with pytest.raises(UnauthenticatedError, match="expired"):
            remote.events()
    assert transport.paths == ["/v1/events"]


def test_an_ended_session_says_to_log_in_again_and_is_forgotten(server: Server, clock: FakeClock,
                                                                config: Path) -> None:
    pair = _log_in(server, "http://r.test")
    assert server.client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {pair['access_token']}"})
    remote = RemoteRegistry("http://r.test", settings=Settings.load(environ={}), transport=Borrowed(server.transport))
    with remote, pytest.raises(UnauthenticatedError, match=re.escape("run `llm-registry login http://r.test`")):
        remote.events()
    assert "http://r.test" not in json.loads(credentials.credentials_path().read_text())


def test_a_token_about_to_expire_is_renewed_before_it_is_sent(server: Server, config: Path) -> None:
    _log_in(server, "http://r.test")
    data = json.loads(credentials.credentials_path().read_text())
    data["http://r.test"]["expires_at"] = time.time() + 5  # within the renewal margin
    credentials.credentials_path().write_text(json.dumps(data))
    transport = Recording(server.transport)
    with RemoteRegistry("http://r.test", settings=Settings.load(environ={}), transport=transport) as remote:
        remote.events()
        remote.events()
    assert transport.paths == ["/v1/auth/refresh", "/v1/events", "/v1/events"]


def test_processes_renewing_at_once_keep_the_session(server: Server, clock: FakeClock, config: Path,
                                                     location: str) -> None:
    """Six processes whose token the server now refuses: one refresh, and all of them served."""
    with serving(server.app) as url:
        first = _log_in(server, url)
        clock.now += TTL + 1
        script = (
            "import sys\n"
            "from llm_registry.remote import RemoteRegistry\n"
            "from llm_registry.settings import Settings\n"
            "with RemoteRegistry(sys.argv[1], settings=Settings.load(environ={})) as remote:\n"
            "    print(len(remote.events().items))\n"
        )
        env = {"XDG_CONFIG_HOME": str(config), "PATH": "/usr/bin:/bin"}
        processes = [subprocess.Popen([sys.executable, "-c", script, url], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(6)]
        outcomes = [process.communicate(timeout=60) for process in processes]
        assert [p.returncode for p in processes] == [0] * 6, [err for _, err in outcomes]
        saved = _saved(url)
        assert saved["refresh_token"] != first["refresh_token"]
        # One rotation in the session: the first refresh token spent, the stored one live.
        engine = sa.create_engine(f"sqlite:///{Path(location) / 'registry.db'}")
        with engine.connect() as connection:
            tokens = connection.execute(sa.text("SELECT spent_at IS NOT NULL FROM refresh_tokens "
                                                "ORDER BY created_at, id")).scalars().all()
            revoked = connection.execute(sa.text("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")).scalar()
        engine.dispose()
        assert revoked == 0
        assert sorted(tokens).count(True) == 1
        with Registry.open(url, settings=Settings.load(environ={})) as registry:  # the saved login, as is
            registry.events()


@pytest.mark.slow
def test_follow_outlives_the_access_token(location: str, config: Path) -> None:
    """Real time, a two-second token: `events --follow` keeps following past several expiries, and
    an event registered after the first expiry is printed."""
    app = build_app(location, access_token_ttl=2)
    with running(location, users=False) as setup:
        from llm_registry.accounts.users import SYSTEM

        setup.accounts.users.create_user("dev", PASSWORD, "developer", actor=SYSTEM)
        key = setup.accounts.api_keys.create_api_key(setup.accounts.sessions.authenticate(
            setup.accounts.sessions.login("dev", PASSWORD).access_token), "writer").key
    runner = CliRunner()
    with serving(app) as url:
        logged_in = runner.invoke(cli_app, ["login", url, "-u", "dev", "--password-stdin"], input=PASSWORD + "\n")
        assert logged_in.exit_code == 0, logged_in.output

        def register_later() -> None:
            time.sleep(3.0)
            httpx.post(f"{url}/v1/models", json=_model(1), headers={"Authorization": f"Bearer {key}"}, timeout=10)

        writer = threading.Thread(target=register_later)
        writer.start()
        followed = runner.invoke(cli_app, ["--registry", url, "events", "--follow", "--max-wait", "5", "--json",
                                           "--type", "asset.registered"])
        writer.join()
    assert followed.exit_code == 0, followed.output
    assert [json.loads(line)["subject"] for line in followed.stdout.splitlines()] == ["model:acme/m1@1.0.0"]
