"""Benchmark of the REST server: a real ``llm-registry serve`` process under keep-alive load.

Preloads ``--versions`` versions (embedded, before the server starts) and creates a developer
user, then starts two servers at once on the same registry, each with ``--workers`` processes on
127.0.0.1, and drives them with ``--connections`` concurrent keep-alive connections,
``--duration`` seconds per scenario. The three GET scenarios take turns (``--rounds`` turns of
``duration / rounds`` seconds each), so that the authentication overhead compares figures taken
side by side, not minutes apart on a machine whose speed drifts:

1. the open server (``serve --no-auth``):

   * ``get_exact``: ``GET /v1/models/{ns}/{name}/versions/{version}`` of a random loaded version;
   * ``resolve_range``: ``GET /v1/resolve?ref=model:{ns}/{name}@^1.2`` (scans past 2.x and 3.x);
   * ``register``: ``POST /v1/models`` of a new version.

2. the authenticating server (``LLM_REGISTRY_JWT_SECRET`` set, rate limits high enough never to
   refuse a benchmark request):

   * ``get_exact_jwt``: ``get_exact`` with ``Authorization: Bearer <access token>`` (from a login);
   * ``get_exact_api_key``: ``get_exact`` with ``Authorization: Bearer <API key>`` (of that user).

Prints one JSON object: per scenario requests, errors, req/s and p50/p95/p99 latency (ms), and
``auth_overhead``: the % drop of GET req/s with a JWT and with an API key against the open
server's ``get_exact`` (the target is under 15%).
SQLite by default (a temporary folder); ``--postgres URL`` runs on an empty PostgreSQL
database instead. The load generator is a small asyncio HTTP/1.1 client (no extra packages)
so that it costs the machine little next to the server. Only 127.0.0.1 is ever contacted.

    python benchmarks/server.py --versions 10000
    python benchmarks/server.py --versions 10000 --postgres postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from llm_registry.registry import Registry
from llm_registry.settings import Settings

HOST = "127.0.0.1"
SETTLE_SECONDS = 0.5
VERSIONS_PER_ASSET = 100
NAMESPACE = "bench"
USER, PASSWORD, ROLE = "bench-dev", "bench-password-0123456789", "developer"
# Requests per minute per identity: far above what one run can send, so no request is refused.
GENEROUS_RATE_LIMITS = ",".join(f"{role}=100000000" for role in ("admin", "developer", "user", "viewer", "anonymous"))


def version_text(index: int) -> str:
    """The index-th of an asset's versions: 0.0.0 … 3.4.4 (25 per major)."""
    return f"{index // 25}.{(index // 5) % 5}.{index % 5}"


def manifest(name: str, version: str) -> dict[str, Any]:
    return {
        "kind": "model", "name": f"{NAMESPACE}/{name}", "version": version,
        "spec": {"architecture": "llama", "parameters": 8_030_000_000, "context_length": 8192,
                 "format": "safetensors"},
        "labels": {"description": f"benchmark model {name}", "license": "apache-2.0", "tags": ["bench", "chat"],
                   "annotations": {"team": "perf"}},
    }


def preload(location: str, versions: int) -> int:
    """Register ``versions`` versions over ``versions / 100`` assets; returns the asset count."""
    assets = max(1, -(-versions // VERSIONS_PER_ASSET))
    with Registry.open(location, settings=Settings(), actor="bench") as registry:
        for i in range(versions):
            registry.register(manifest(f"m-{i % assets:04d}", version_text(i // assets)))
    return assets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not become ready")


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def connection_loop(
    port: int, make_request: Callable[[int], bytes], number: int, stop_at: float, warm_until: float,
    latencies: list[float], errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while (now := time.perf_counter()) < stop_at:
            request = make_request(number)
            writer.write(request)
            status = await read_response(reader)
            if now >= warm_until:
                latencies.append(time.perf_counter() - now)
                if status >= 400:
                    errors.append(status)
    finally:
        writer.close()


async def drive(port: int, make_request: Callable[[int], bytes], connections: int, duration: float,
                warmup: float) -> Samples:
    """Latencies (seconds) and error statuses of ``duration`` seconds of load, after ``warmup``."""
    samples = Samples()
    start = time.perf_counter()
    warm_until = start + warmup
    stop_at = warm_until + duration
    await asyncio.gather(*(
        connection_loop(port, make_request, n, stop_at, warm_until, samples.latencies, samples.errors)
        for n in range(connections)
    ))
    samples.seconds = time.perf_counter() - warm_until
    return samples


class Samples:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[int] = []
        self.seconds = 0.0

    def add(self, other: Samples) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds

    def summary(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)

        def percentile(p: float) -> float:
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0

        return {
            "requests": len(latencies), "errors": len(self.errors), "error_statuses": sorted(set(self.errors)),
            "rps": round(len(latencies) / self.seconds, 1) if self.seconds else 0.0, "p50_ms": percentile(0.50),
            "p95_ms": percentile(0.95), "p99_ms": percentile(0.99),
        }


def get_exact_request(assets: int, versions: int, bearer: str | None = None) -> Callable[[int], bytes]:
    """``GET`` of a random loaded version, with ``Authorization: Bearer`` when ``bearer`` is given."""
    rng = random.Random(7)
    per_asset = max(1, versions // assets)
    authorization = f"Authorization: Bearer {bearer}\r\n" if bearer else ""

    def get_exact(_: int) -> bytes:
        asset = rng.randrange(assets)
        version = version_text(rng.randrange(per_asset))
        path = f"/v1/models/{NAMESPACE}/m-{asset:04d}/versions/{version}"
        return (f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n"
                f"{authorization}\r\n").encode()

    return get_exact


def scenarios(assets: int, versions: int) -> dict[str, Callable[[int], bytes]]:
    """The open server's scenarios."""
    rng = random.Random(7)
    counters: dict[int, int] = {}
    run = f"{int(time.time()) % 100000}"
    get_exact = get_exact_request(assets, versions)

    def resolve_range(_: int) -> bytes:
        ref = quote(f"model:{NAMESPACE}/m-{rng.randrange(assets):04d}@^1.2", safe="")
        return f"GET /v1/resolve?ref={ref} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n\r\n".encode()

    def register(connection: int) -> bytes:
        counters[connection] = counters.get(connection, 0) + 1
        body = json.dumps(manifest(f"new-{run}-{connection}", f"1.0.{counters[connection]}")).encode()
        return (f"POST /v1/models HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    return {"get_exact": get_exact, "resolve_range": resolve_range, "register": register}


def cli_prefix() -> list[str]:
    script = Path(sys.executable).with_name("llm-registry")
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                  "from llm_registry.cli.main import main; main()"]


def server_command(location: str, port: int, workers: int, *, no_auth: bool) -> list[str]:
    command = [*cli_prefix(), "--registry", location, "serve", "--host", HOST, "--port", str(port),
               "--workers", str(workers)]
    return [*command, "--no-auth"] if no_auth else command


def create_user(location: str) -> None:
    """The benchmark's user, created directly in the database (no server needed)."""
    subprocess.run([*cli_prefix(), "--registry", location, "admin", "create-user", USER, "--role", ROLE,
                    "--password-stdin"], input=f"{PASSWORD}\n".encode(), check=True, stdout=subprocess.DEVNULL)


@contextmanager
def running_server(command: list[str], env: dict[str, str], port: int, log_path: Path) -> Iterator[None]:
    """A started and ready server, stopped (SIGTERM, then kill) on leaving."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        try:
            wait_ready(port, process)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def post_json(port: int, path: str, body: dict[str, Any], bearer: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def credentials(port: int) -> tuple[str, str]:
    """A JWT access token (login) and an API key of the benchmark's user."""
    token = str(post_json(port, "/v1/auth/login", {"username": USER, "password": PASSWORD})["access_token"])
    key = str(post_json(port, "/v1/api-keys", {"name": "bench"}, bearer=token)["key"])
    return token, key


def drop_pct(open_rps: float, auth_rps: float) -> float | None:
    return round((open_rps - auth_rps) / open_rps * 100, 1) if open_rps else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000, help="Versions to preload (default 10000).")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes (default 2).")
    parser.add_argument("--connections", type=int, default=32, help="Concurrent keep-alive connections.")
    parser.add_argument("--duration", type=float, default=10.0, help="Measured seconds per scenario (max 120).")
    parser.add_argument("--warmup", type=float, default=1.0, help="Unmeasured seconds before each scenario.")
    parser.add_argument("--rounds", type=int, default=5,
                        help="Turns the three GET scenarios take, each duration/rounds seconds (default 5).")
    parser.add_argument("--postgres", metavar="URL", help="Run on this (empty) PostgreSQL database instead of SQLite.")
    parser.add_argument("--access-log", action="store_true", help="Keep the server's JSON access log on.")
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 120.0)

    load_before = [round(x, 2) for x in os.getloadavg()]
    folder = Path(tempfile.mkdtemp(prefix="llmr-bench-"))
    location = args.postgres or str(folder / "registry")
    started = time.perf_counter()
    assets = preload(location, args.versions)
    preload_seconds = round(time.perf_counter() - started, 1)

    create_user(location)

    base_env = {**os.environ, "LLM_REGISTRY_ACCESS_LOG": "true" if args.access_log else "false",
                "LLM_REGISTRY_LOG_LEVEL": "warning"}
    auth_env = {**base_env, "LLM_REGISTRY_NO_AUTH": "false", "LLM_REGISTRY_JWT_SECRET": secrets.token_urlsafe(48),
                "LLM_REGISTRY_RATE_LIMITS": GENEROUS_RATE_LIMITS, "LLM_REGISTRY_RATE_LIMIT_BACKEND": "memory",
                "LLM_REGISTRY_ANONYMOUS_READ": "false"}
    results: dict[str, Any] = {}
    open_port, auth_port = free_port(), free_port()
    try:
        # Both servers run at once on the same registry (an idle one costs no CPU), so that the GETs
        # with and without authentication can take turns: on a shared machine whose speed drifts,
        # only measurements taken side by side compare.
        with running_server(server_command(location, open_port, args.workers, no_auth=True), base_env, open_port,
                            folder / "server-open.log"), \
                running_server(server_command(location, auth_port, args.workers, no_auth=False), auth_env, auth_port,
                               folder / "server-auth.log"):
            token, key = credentials(auth_port)
            gets = {
                "get_exact": (open_port, get_exact_request(assets, args.versions)),
                "get_exact_jwt": (auth_port, get_exact_request(assets, args.versions, token)),
                "get_exact_api_key": (auth_port, get_exact_request(assets, args.versions, key)),
            }
            taken = {name: Samples() for name in gets}
            names = list(gets)
            for round_ in range(args.rounds):
                # Each turn starts with another scenario, so no scenario always follows the same one.
                for name in names[round_ % 3:] + names[:round_ % 3]:
                    port, make_request = gets[name]
                    # Let the workers go idle first: new connections go to whichever worker is
                    # waiting in accept(), so a worker still busy with the last turn's requests
                    # would leave most of this turn's connections to the other one.
                    time.sleep(SETTLE_SECONDS)
                    warmup = args.warmup if round_ == 0 else 0.2
                    taken[name].add(asyncio.run(
                        drive(port, make_request, args.connections, duration / args.rounds, warmup)))
            results.update({name: samples.summary() for name, samples in taken.items()})
            for name, make_request in scenarios(assets, args.versions).items():
                if name != "get_exact":
                    samples = asyncio.run(drive(open_port, make_request, args.connections, duration, args.warmup))
                    results[name] = samples.summary()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    open_rps = results["get_exact"]["rps"]
    overhead = {"jwt_pct": drop_pct(open_rps, results["get_exact_jwt"]["rps"]),
                "api_key_pct": drop_pct(open_rps, results["get_exact_api_key"]["rps"])}
    print(json.dumps({
        "backend": "postgresql" if args.postgres else "sqlite", "versions": args.versions, "assets": assets,
        "preload_seconds": preload_seconds, "workers": args.workers, "connections": args.connections,
        "duration_s": duration, "cpus": os.cpu_count(), "load_average_before": load_before,
        "access_log": args.access_log, "scenarios": results, "auth_overhead": overhead,
    }, indent=2))


if __name__ == "__main__":
    main()
