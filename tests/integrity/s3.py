"""A real S3 HTTP endpoint for the tests: moto's standalone server started as a process of its own
(``python -m moto.server``), or the endpoint of ``LLM_REGISTRY_TEST_S3_ENDPOINT`` (MinIO, real
S3) with the bucket of ``LLM_REGISTRY_TEST_S3_BUCKET`` and the credentials of the usual AWS
variables. Each test gets a prefix of its own in the bucket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ENDPOINT = os.environ.get("LLM_REGISTRY_TEST_S3_ENDPOINT", "")
BUCKET = os.environ.get("LLM_REGISTRY_TEST_S3_BUCKET", "llm-registry-test")
# moto accepts any credentials; a real endpoint gets the environment's.
MOTO_CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    bucket: str
    credentials: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, for as long as the context lasts."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto's server stopped at once: {log.read_text()[-2000:]}")
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not answer within 60 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def s3_endpoint(log: Path) -> Iterator[S3Endpoint]:
    """The endpoint of the environment, else a moto server of this test process with the bucket made."""
    if ENDPOINT:
        yield S3Endpoint(ENDPOINT, BUCKET, {})
        return
    with moto_server(log) as url:
        httpx.put(f"{url}/{BUCKET}", timeout=10).raise_for_status()
        yield S3Endpoint(url, BUCKET, dict(MOTO_CREDENTIALS))
