"""Benchmark of the REST server: a real ``llm-registry serve`` process under keep-alive load.

Preloads ``--versions`` versions (embedded, before the server starts), starts the server with
``--workers`` processes on 127.0.0.1, then drives it with ``--connections`` concurrent
keep-alive connections, ``--duration`` seconds per scenario:

* ``get_exact``: ``GET /v1/models/{ns}/{name}/versions/{version}`` of a random loaded version;
* ``resolve_range``: ``GET /v1/resolve?ref=model:{ns}/{name}@^1.2`` (scans past 2.x and 3.x);
* ``register``: ``POST /v1/models`` of a new version.

Prints one JSON object: per scenario requests, errors, req/s and p50/p95/p99 latency (ms).
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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from llm_registry.registry import Registry
from llm_registry.settings import Settings

HOST = "127.0.0.1"
VERSIONS_PER_ASSET = 100
NAMESPACE = "bench"


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
                warmup: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    warm_until = start + warmup
    stop_at = warm_until + duration
    await asyncio.gather(*(
        connection_loop(port, make_request, n, stop_at, warm_until, latencies, errors) for n in range(connections)
    ))
    measured = time.perf_counter() - warm_until
    latencies.sort()

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0

    return {
        "requests": len(latencies), "errors": len(errors), "error_statuses": sorted(set(errors)),
        "rps": round(len(latencies) / measured, 1), "p50_ms": percentile(0.50), "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
    }


def scenarios(assets: int, versions: int) -> dict[str, Callable[[int], bytes]]:
    rng = random.Random(7)
    per_asset = max(1, versions // assets)
    counters: dict[int, int] = {}
    run = f"{int(time.time()) % 100000}"

    def get_exact(_: int) -> bytes:
        asset = rng.randrange(assets)
        version = version_text(rng.randrange(per_asset))
        path = f"/v1/models/{NAMESPACE}/m-{asset:04d}/versions/{version}"
        return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n\r\n".encode()

    def resolve_range(_: int) -> bytes:
        ref = quote(f"model:{NAMESPACE}/m-{rng.randrange(assets):04d}@^1.2", safe="")
        return f"GET /v1/resolve?ref={ref} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n\r\n".encode()

    def register(connection: int) -> bytes:
        counters[connection] = counters.get(connection, 0) + 1
        body = json.dumps(manifest(f"new-{run}-{connection}", f"1.0.{counters[connection]}")).encode()
        return (f"POST /v1/models HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    return {"get_exact": get_exact, "resolve_range": resolve_range, "register": register}


def server_command(location: str, port: int, workers: int) -> list[str]:
    script = Path(sys.executable).with_name("llm-registry")
    prefix = [str(script)] if script.exists() else [sys.executable, "-c",
                                                     "from llm_registry.cli.main import main; main()"]
    return [*prefix, "--registry", location, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000, help="Versions to preload (default 10000).")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes (default 2).")
    parser.add_argument("--connections", type=int, default=32, help="Concurrent keep-alive connections.")
    parser.add_argument("--duration", type=float, default=10.0, help="Measured seconds per scenario (max 120).")
    parser.add_argument("--warmup", type=float, default=1.0, help="Unmeasured seconds before each scenario.")
    parser.add_argument("--postgres", metavar="URL", help="Run on this (empty) PostgreSQL database instead of SQLite.")
    parser.add_argument("--access-log", action="store_true", help="Keep the server's JSON access log on.")
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 120.0)

    folder = Path(tempfile.mkdtemp(prefix="llmr-bench-"))
    location = args.postgres or str(folder / "registry")
    started = time.perf_counter()
    assets = preload(location, args.versions)
    preload_seconds = round(time.perf_counter() - started, 1)

    port = free_port()
    env = {**os.environ, "LLM_REGISTRY_ACCESS_LOG": "true" if args.access_log else "false",
           "LLM_REGISTRY_LOG_LEVEL": "warning"}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(server_command(location, port, args.workers), stdout=log, stderr=log, env=env)
    results: dict[str, Any] = {}
    try:
        wait_ready(port, process)
        for name, make_request in scenarios(assets, args.versions).items():
            results[name] = asyncio.run(drive(port, make_request, args.connections, duration, args.warmup))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({
        "backend": "postgresql" if args.postgres else "sqlite", "versions": args.versions, "assets": assets,
        "preload_seconds": preload_seconds, "workers": args.workers, "connections": args.connections,
        "duration_s": duration, "cpus": os.cpu_count(), "scenarios": results,
    }, indent=2))


if __name__ == "__main__":
    main()
