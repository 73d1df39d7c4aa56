"""The first hour of a server: it says it requires authentication, and while no user exists it
says, at start-up and in every 401, how to make the first admin."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from llm_registry.accounts.users import SYSTEM
from llm_registry.api.rest.security import FIRST_ADMIN_HINT
from tests.access.rest import PASSWORD, free_port, running

HINT = "admin create-user NAME --role admin --password-stdin"


def test_no_user_is_told_at_start_up_and_in_every_401(location: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="llm_registry.security")
    with running(location, users=False) as server:
        assert any("no user exists" in r.getMessage() and HINT in r.getMessage() for r in caplog.records)
        c = server.client
        refusals = [
            c.get("/v1/models"),
            c.get("/v1/models", headers={"Authorization": "Bearer not-a-token"}),
            c.get("/v1/models", headers={"Authorization": "Bearer llmr_0123abcd_nope"}),
            c.get("/v1/models", headers={"Authorization": "Basic abc"}),
        ]
        for refused in refusals:
            assert refused.status_code == 401
            assert refused.json()["code"] == "unauthenticated"
            assert refused.json()["detail"].endswith(FIRST_ADMIN_HINT), refused.json()["detail"]
            assert "bootstrap_admin" in refused.json()["detail"]
        server.accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
        answered = c.get("/v1/models")
        assert answered.status_code == 401
        assert "no user exists" not in answered.json()["detail"]
        token = server.accounts.sessions.login("root", PASSWORD).access_token
        assert c.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_bootstrap_admin_leaves_nothing_to_warn_about(location: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="llm_registry.security")
    with running(location, users=False, bootstrap_admin=f"root:{PASSWORD}") as server:
        assert not any("no user exists" in r.getMessage() for r in caplog.records)
        assert "no user exists" not in server.client.get("/v1/models").json()["detail"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_user_count_is_read_again_only_after_a_commit(location: str) -> None:
    """On SQLite the store's change counter says when to look again: refusals in a row cost no read."""
    with running(location, users=False) as server:
        reads: list[str] = []
        original = server.accounts.store.read

        def counting() -> object:
            reads.append("read")
            return original()

        server.accounts.store.read = counting  # type: ignore[method-assign]
        for _ in range(5):
            assert FIRST_ADMIN_HINT in server.client.get("/v1/models").json()["detail"]
        assert len(reads) <= 1
        server.accounts.users.create_user("root", PASSWORD, "admin", actor=SYSTEM)
        reads.clear()
        for _ in range(3):
            assert FIRST_ADMIN_HINT not in server.client.get("/v1/models").json()["detail"]
        assert reads == ["read"]  # the commit moved the counter: one look, then yes for good


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_serve_says_it_requires_authentication(location: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}
    command = [str(Path(sys.executable).with_name("llm-registry")), "--registry", location, "serve", "--port",
               str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    messages = [str(orjson.loads(line).get("event", "")) for line in log.read_text().splitlines() if line.strip()]
    serving = [m for m in messages if m.startswith("serving ")]
    assert serving, messages
    assert serving[0].endswith("requiring authentication")
    assert "anonymous" not in serving[0]
    assert any("no user exists" in m and HINT in m for m in messages), messages
