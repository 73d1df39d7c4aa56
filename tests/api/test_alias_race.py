"""Concurrent alias moves through a real two-worker server, on SQLite and PostgreSQL: eight
client processes move a new alias to eight versions at once, twenty rounds. Every move
succeeds (the last one wins), and the ``alias.moved`` events form a chain: each one's
``before`` is the previous one's ``after``."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import model
from tests.api.test_serve import CLEAN_ENV, Server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
ROUNDS = 20
ASSET = "/v1/models/acme/raced"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_alias_moves_take_turns(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    location = str(request.getfixturevalue("postgres_url")) if backend == "postgresql" else str(tmp_path / "reg")
    server = Server(location, "--workers", "2", "--no-auth", log=tmp_path / "server.log")
    clients: list[subprocess.Popen[str]] = []
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for i in range(CLIENTS):
                assert http.post("/v1/models", json=model("acme/raced", f"1.0.{i}")).status_code == 201
            start = http.get("/v1/events", params={"limit": 1000}).json()["next_cursor"]
        clients = [subprocess.Popen([sys.executable, "-m", "tests.api.alias_racer", server.url, ASSET], cwd=ROOT,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=CLEAN_ENV)
                   for _ in range(CLIENTS)]
        for client in clients:
            assert client.stdout is not None
            assert client.stdout.readline().strip() == "ready"
        bad_rounds = []
        for round_ in range(ROUNDS):
            alias = f"race{round_}"
            for i, client in enumerate(clients):  # each client to its own version, all at once
                assert client.stdin is not None
                client.stdin.write(f"{alias} 1.0.{i}\n")
                client.stdin.flush()
            statuses = [int(client.stdout.readline()) for client in clients if client.stdout is not None]
            if statuses != [200] * CLIENTS:
                bad_rounds.append((alias, statuses))
        assert bad_rounds == []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            events = http.get("/v1/events", params={"after": start, "limit": 1000, "type": "alias.moved"}).json()
            aliases = {a["name"]: a["version"] for a in http.get(f"{ASSET}/aliases", params={"limit": 1000})
                       .json()["items"]}
        for round_ in range(ROUNDS):
            alias = f"race{round_}"
            moves = [e["payload"] for e in events["items"] if e["payload"]["alias"] == alias]
            assert len(moves) == CLIENTS, (alias, moves)
            assert moves[0]["before"] is None, (alias, moves)
            for previous, move in itertools.pairwise(moves):
                assert move["before"] == previous["after"], (alias, moves)
            assert aliases[alias] == moves[-1]["after"]
            assert sorted(m["after"] for m in moves) == [f"1.0.{i}" for i in range(CLIENTS)]
    finally:
        for client in clients:
            if client.stdin is not None:
                client.stdin.close()
            client.wait(timeout=30)
            if client.stdout is not None:
                client.stdout.close()
        server.stop()
        server.kill_leftovers()
