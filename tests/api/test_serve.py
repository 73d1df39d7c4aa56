"""A real ``llm-registry serve`` process on 127.0.0.1: the remote client and the CLI against it,
a clean shutdown on SIGTERM, and no partial write when the server dies during registrations."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.errors import ConflictError, RegistryError
from llm_registry.registry import Registry
from llm_registry.remote import RemoteRegistry
from llm_registry.settings import Settings
from tests.api.conftest import model

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("llm-registry")
# The server must not pick up the developer's own settings.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("LLM_REGISTRY_")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, location: str, *extra: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        command = [str(SCRIPT), "--registry", location, "serve", "--port", str(self.port), *extra]
        # A session of its own: SIGKILL then reaches the workers too, not only their supervisor.
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=self._log_file, env=CLEAN_ENV,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"not ready in {timeout}s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the server (SIGKILL: its whole process group) and wait for it to exit."""
        try:
            if sig == signal.SIGKILL:
                os.killpg(self.process.pid, signal.SIGKILL)
            elif self.process.poll() is None:
                self.process.send_signal(sig)
            return self.process.wait(timeout=timeout)
        except ProcessLookupError:
            return self.process.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def log_lines(self) -> list[dict[str, object]]:
        return [orjson.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def test_serve_requires_authentication_unless_told_otherwise(tmp_path: Path) -> None:
    server = Server(str(tmp_path / "registry"), log=tmp_path / "server.log")
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url) as client:
            refused = client.post("/v1/models", json=model())
            assert refused.status_code == 401
            assert refused.json()["code"] == "unauthenticated"
            assert client.get("/v1/models").status_code == 401  # anonymous read is off by default
            assert client.get("/health").status_code == 200
    finally:
        server.stop()
        server.kill_leftovers()


def test_serve_register_get_and_clean_shutdown(tmp_path: Path) -> None:
    server = Server(str(tmp_path / "registry"), "--no-auth", log=tmp_path / "server.log")
    try:
        server.wait_ready()
        with Registry.open(server.url, settings=Settings.load(environ={})) as registry:
            assert isinstance(registry, RemoteRegistry)
            created = registry.register(model())
            assert created.created_by == "anonymous"
            assert registry.get("model:acme/llama-ft@^1") == created
            with pytest.raises(ConflictError):
                registry.register(model(spec={"architecture": "other"}))
        cli = subprocess.run([str(SCRIPT), "--registry", server.url, "--json", "get", "model:acme/llama-ft@1.0.0"],
                             capture_output=True, env=CLEAN_ENV, timeout=60, check=False)
        assert cli.returncode == 0, cli.stderr
        assert orjson.loads(cli.stdout)["digest"] == created.digest
    finally:
        code = server.stop()
        server.kill_leftovers()
    assert code == 0
    lines = server.log_lines()  # every line is JSON
    requests = [line for line in lines if line.get("event") == "request"]
    assert {line["path"] for line in requests} >= {"/ready", "/v1/models", "/v1/resolve"}
    assert all(isinstance(line["request_id"], str) for line in requests)
    assert any("Application shutdown complete" in str(line.get("event")) for line in lines)


def test_serve_refuses_a_remote_location(tmp_path: Path) -> None:
    result = subprocess.run([str(SCRIPT), "--registry", "http://127.0.0.1:9", "serve"], capture_output=True,
                            env=CLEAN_ENV, timeout=60, check=False)
    assert result.returncode == 1
    assert b"invalid_parameter" in result.stderr


def _complete(registry: EmbeddedRegistry, acknowledged: set[str]) -> None:
    """Every version in the database is whole (document, labels, pins, event), and every
    acknowledged registration is there."""
    registered: set[str] = set()
    cursor: str | None = None
    while True:
        page = registry.events(after=cursor, limit=1000)
        if not page.items:
            break
        registered |= {e.subject for e in page.items if e.type == "asset.registered"}
        cursor = page.next_cursor
    present: set[str] = set()
    for asset in registry.assets(limit=1000).items:
        versions_cursor: str | None = None
        while True:
            versions = registry.versions(f"{asset.kind.value}:{asset.name}", cursor=versions_cursor, limit=1000)
            for summary in versions.items:
                document = registry.get(f"{asset.kind.value}:{asset.name}@{summary.version}")
                assert len(document.pins) == len(document.dependencies)
                assert document.labels.tags == ["chat"]
                assert len(registry.label_history(document.ref)) == 1
                present.add(document.ref)
            versions_cursor = versions.next_cursor
            if versions_cursor is None:
                break
    assert present == registered
    assert acknowledged <= present


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_stopping_during_registrations_leaves_no_partial_write(tmp_path: Path, sig: int) -> None:
    location = str(tmp_path / "registry")
    server = Server(location, "--workers", "2", "--no-auth", log=tmp_path / "server.log")
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop_at = time.monotonic() + 15
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url) as client:
            client.post("/v1/models", json=model(name="acme/base")).raise_for_status()

        def writer(number: int) -> None:
            # A short timeout: during a shutdown, new connections wait in the listening socket's
            # backlog (the supervisor still holds it) until the server exits.
            with httpx.Client(base_url=server.url, timeout=3) as client:
                for i in range(2_000):
                    if time.monotonic() > stop_at:
                        return
                    document = model(name=f"acme/w{number}", version=f"1.0.{i}",
                                     dependencies=[{"ref": "model:acme/base@^1", "relation": "derived_from"}])
                    try:
                        response = client.post("/v1/models", json=document)
                    except httpx.TransportError:
                        return
                    if response.status_code == 201:
                        with lock:
                            acknowledged.add(f"model:acme/w{number}@1.0.{i}")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        server.stop(sig)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.kill_leftovers()
    assert len(acknowledged) > 5
    registry = Registry.open(location, settings=Settings.load(environ={}))
    assert isinstance(registry, EmbeddedRegistry)
    with registry:
        try:
            _complete(registry, acknowledged)
        except RegistryError as error:  # pragma: no cover - the message is what matters
            raise AssertionError(error) from None


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    workers = []
    for pid in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split():
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(int(pid))
    return workers


def _listening_and_connected(pid: int, port: int) -> tuple[set[str], int]:
    """(inodes of the listening sockets, count of established connections) of process ``pid``
    on local ``port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    listening: set[str] = set()
    connected = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == port and inode in inodes:
            if state == "0A":
                listening.add(inode)
            connected += state == "01"
    return listening, connected


def test_workers_each_listen_on_their_own_socket_and_share_connections(tmp_path: Path) -> None:
    server = Server(str(tmp_path / "registry"), "--workers", "2", "--no-auth", log=tmp_path / "server.log")
    clients: list[httpx.Client] = []
    try:
        server.wait_ready()
        workers = _workers(server.process.pid)
        assert len(workers) == 2
        one, other = (_listening_and_connected(pid, server.port)[0] for pid in workers)
        assert len(one) == len(other) == 1
        assert one != other  # not one socket shared by both
        # A burst of keep-alive connections, as a load balancer or a pool opens them.
        clients = [httpx.Client(base_url=server.url) for _ in range(32)]
        barrier = threading.Barrier(len(clients))

        def connect(client: httpx.Client) -> None:
            barrier.wait()
            client.get("/health").raise_for_status()

        threads = [threading.Thread(target=connect, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        connected = [_listening_and_connected(pid, server.port)[1] for pid in workers]
        assert sum(connected) == 32
        # Spread by address hash: both workers serve a fair share (all-to-one was the failure).
        assert min(connected) >= 6, connected
    finally:
        for client in clients:
            client.close()
        server.stop()
        server.kill_leftovers()


def test_a_killed_worker_is_replaced_and_no_connection_is_left_waiting(tmp_path: Path) -> None:
    server = Server(str(tmp_path / "registry"), "--workers", "2", "--no-auth", log=tmp_path / "server.log")
    try:
        server.wait_ready()
        first, _ = _workers(server.process.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while first in _workers(server.process.pid) or len(_workers(server.process.pid)) < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        server.wait_ready()
        # The dead worker's socket is closed everywhere: were it still open, the connections the
        # kernel gave it would wait forever. Every new connection is answered.
        for _ in range(40):
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
    finally:
        server.stop()
        server.kill_leftovers()


def test_a_port_in_use_stops_serve_before_any_worker_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(SCRIPT), "--registry", str(tmp_path / "registry"), "serve", "--port", str(port), "--workers", "2",
             "--no-auth"], capture_output=True, env=CLEAN_ENV, timeout=60, check=False,
        )
    assert result.returncode == 3
    assert b"cannot listen on 127.0.0.1:" in result.stdout + result.stderr


def test_workers_get_the_settings_of_serve_and_none_through_the_environment(tmp_path: Path) -> None:
    """A setting given only in the config file (CORS origins) or only as an option (--no-auth)
    reaches every worker, and no setting, secret or not, is in any worker's environment. The
    workers are spawned with the supervisor's environment at that moment, so this also shows that
    serve did not write the settings into its own ``os.environ``."""
    secret = "w" * 40
    config = tmp_path / "server.toml"
    config.write_text(f'cors_origins = "https://ui.example"\njwt_secret = "{secret}"\n')
    server = Server(str(tmp_path / "registry"), "--workers", "2", "--no-auth", "--config", str(config),
                    log=tmp_path / "server.log")
    clients: list[httpx.Client] = []
    try:
        server.wait_ready()
        workers = _workers(server.process.pid)
        assert len(workers) == 2
        # Connections kept open, so that afterwards each worker can be seen to have served some.
        clients = [httpx.Client(base_url=server.url, headers={"Origin": "https://ui.example"}) for _ in range(16)]
        for number, client in enumerate(clients):
            answer = client.post("/v1/models", json=model(name=f"acme/m{number}"))  # no credentials: --no-auth
            assert answer.status_code == 201, answer.text
            assert answer.headers["access-control-allow-origin"] == "https://ui.example"
        connected = [_listening_and_connected(pid, server.port)[1] for pid in workers]
        assert sum(connected) == 16
        assert min(connected) >= 1, connected
        for pid in workers:
            # Names only in a failure's message: the environment may hold the machine's secrets.
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert [v.partition(b"=")[0] for v in environ if v.startswith(b"LLM_REGISTRY_")] == []
            holds_secret = any(secret.encode() in v for v in environ)
            assert not holds_secret
    finally:
        for client in clients:
            client.close()
        server.stop()
        server.kill_leftovers()


def test_serve_refuses_bad_settings_before_starting(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('rate_limits = "admin=fast"\n')
    location = tmp_path / "registry"
    for extra, field in ((["--workers", "0"], "workers"), (["--config", str(config)], "rate_limits")):
        result = subprocess.run([str(SCRIPT), "--registry", str(location), "--json", "serve", *extra],
                                capture_output=True, env=CLEAN_ENV, timeout=60, check=False)
        assert result.returncode == 1, result.stderr
        error = orjson.loads(result.stderr)["error"]
        assert (error["code"], error["field"]) == ("invalid_parameter", field)
    assert not location.exists()  # refused before the database was opened
