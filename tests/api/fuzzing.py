"""Fuzzing the server with schemathesis: a real app with authentication, served on a socket,
and schemathesis's own command line (``st run``) against its ``/openapi.json``.

``fuzz(location, budget)`` seeds a registry, serves it, runs every check in every phase
(coverage, fuzzing, stateful) and answers what happened: schemathesis's exit status, its
report, the requests the server answered and the time taken. The same function makes the
figures of docs/api.md from the command line:

    .venv/bin/python -m tests.api.fuzzing [LOCATION] [--max-examples N] [--random] [ST RUN OPTIONS]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from llm_registry.api.rest.app import create_app
from llm_registry.settings import Settings
from tests.access.rest import serving
from tests.api.conftest import model, prompt

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
ST = Path(sys.executable).with_name("st")
ADMIN = "fuzzer"
PASSWORD = "fuzzing password 1"
SECRET = "f" * 40
# Every role may make as many requests as the fuzzer sends; login attempts too.
UNLIMITED = "admin=10000000,developer=10000000,user=10000000,viewer=10000000,anonymous=10000000"


@dataclass(frozen=True)
class Budget:
    """How much to fuzz: examples per operation (fuzzing phase), and stateful scenarios and the
    steps of each (the stateful phase costs little per request and needs many scenarios to walk
    the longer chains of links)."""

    max_examples: int
    stateful_steps: int
    deterministic: bool = True
    stateful_scenarios: int = 100
    # The coverage phase (every parameter's boundaries and negations, every undeclared method)
    # is the most thorough and takes most of the time: a smaller budget leaves it out.
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")


@dataclass
class Outcome:
    exit_code: int
    output: str
    report: dict[str, Any]
    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    routes: dict[tuple[str, str, int], int] = field(default_factory=dict)

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.report.get("errors", [])
        return errors

    def answered(self, method: str, route: str, status: int) -> int:
        """How many times the route answered the status (``route`` as in the OpenAPI document)."""
        return self.routes.get((method, route, status), 0)

    @property
    def failures(self) -> list[dict[str, Any]]:
        failures: list[dict[str, Any]] = self.report.get("failures", [])
        return failures

    def summary(self) -> str:
        found = ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in self.failures) or "none"
        cases = self.report.get("test_cases", {})
        return (f"{self.requests} requests ({cases.get('generated')} test cases) in {self.seconds:.0f} s; "
                f"findings: {found}; statuses: {dict(sorted(self.statuses.items()))}")


class Counted:
    """The app, counting the requests it answers: by status, and by route and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0
        self.statuses: dict[int, int] = {}
        self.routes: dict[tuple[str, str, int], int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1

        async def counting(message: Any) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                self.statuses[status] = self.statuses.get(status, 0) + 1
                route = getattr(scope.get("route"), "path_format", "?")
                key = (scope["method"], route, status)
                self.routes[key] = self.routes.get(key, 0) + 1
            await send(message)

        await self.app(scope, receive, counting)


def fuzz_settings(location: str, blob_root: str = "") -> Settings:
    """A server requiring authentication, with one admin (the fuzzer) and no rate limit in its way;
    ``blob_root`` is where the blobs of a registry in a database go (a folder registry has its own)."""
    return Settings.load({
        "url": location, "jwt_secret": SECRET, "bootstrap_admin": f"{ADMIN}:{PASSWORD}", "access_log": False,
        "rate_limits": UNLIMITED, "login_rate_limit": 10_000_000, "events_max_wait": 0.2, "log_level": "error",
        "blob_root": blob_root,
    }, environ={})


def seed(url: str) -> None:
    """Versions, a prompt, an alias and an API key, so that reads find things from the start."""
    with httpx.Client(base_url=url, timeout=30) as client:
        tokens = client.post("/v1/auth/login", json={"username": ADMIN, "password": PASSWORD}).json()
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        for version in ("1.0.0", "1.1.0", "2.0.0-rc.1"):
            client.post("/v1/models", json=model(name="acme/base", version=version)).raise_for_status()
        client.post("/v1/models", json=model(name="acme/tuned", dependencies=[
            {"ref": "model:acme/base@^1", "relation": "derived_from"}])).raise_for_status()
        client.post("/v1/prompts", json=prompt(name="acme/support")).raise_for_status()
        client.put("/v1/models/acme/base/aliases/production", json={"version": "1.0.0"}).raise_for_status()
        client.post("/v1/api-keys", json={"name": "seeded"}).raise_for_status()


def config(budget: Budget, report_dir: Path) -> str:
    """schemathesis.toml: every check, both generation modes, credentials from the login route."""
    return f"""\
hooks = {json.dumps(str(HOOKS))}
workers = 1
continue-on-failure = true
request-timeout = 30

[generation]
mode = "all"
max-examples = {budget.max_examples}
deterministic = {str(budget.deterministic).lower()}
database = "none"
# The registry keeps no NUL character in any string (documents, names, queries): docs/api.md.
allow-x00 = false

[phases]
stateful.max-steps = {budget.stateful_steps}
stateful.generation.max-examples = {budget.stateful_scenarios}
# Only the document's own links: those it infers spread the scenarios thin.
stateful.inference.algorithms = []

[checks]
enabled = true

# A Range that is not `bytes=FIRST-[LAST]` or `bytes=-SUFFIX` is answered 416 (RFC 9110 §15.5.17),
# with the blob's size in Content-Range: a refusal like the others.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "415", "416", "422", "428", "429", "5xx"]

[auth.dynamic.openapi.bearer]
path = "/v1/auth/login"
payload = {{ username = "{ADMIN}", password = "{PASSWORD}" }}
extract_selector = "/access_token"

[reports]
directory = {json.dumps(str(report_dir))}
json.enabled = true
"""


@contextmanager
def served(location: str, blob_root: str = "") -> Iterator[tuple[str, Counted]]:
    counted = Counted(create_app(fuzz_settings(location, blob_root)))
    with serving(counted) as url:  # type: ignore[arg-type]
        yield url, counted


def fuzz(location: str, budget: Budget, options: tuple[str, ...] = ()) -> Outcome:
    """Seed a registry at ``location``, serve it and run ``st run`` against it."""
    with (tempfile.TemporaryDirectory(prefix="llmr-fuzz-") as folder,
          served(location, str(Path(folder) / "blobs")) as (url, counted)):
        seed(url)
        work = Path(folder)
        (work / "schemathesis.toml").write_text(config(budget, work / "report"))
        started = time.monotonic()
        before = counted.requests
        command = [str(ST), "--config-file", str(work / "schemathesis.toml"), "run", f"{url}/openapi.json",
                   "--checks", "all", "--phases", ",".join(budget.phases), "--no-color",
                   "--output-truncate", "true"]
        if budget.deterministic:
            command += ["--seed", "1"]
        command += options
        result = subprocess.run(command, capture_output=True, text=True, cwd=work, check=False,
                                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
        seconds = time.monotonic() - started
        reports = sorted((work / "report").glob("*.json"))
        report = json.loads(reports[-1].read_text()) if reports else {}
        return Outcome(result.returncode, result.stdout + result.stderr, report, counted.requests - before, seconds,
                       dict(counted.statuses), dict(counted.routes))


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz a new registry's server and print what was found.")
    parser.add_argument("location", nargs="?", help="a registry location (default: a new SQLite one)")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--stateful-steps", type=int, default=20)
    parser.add_argument("--stateful-scenarios", type=int, default=100)
    parser.add_argument("--random", action="store_true", help="draw new examples instead of the fixed ones")
    parser.add_argument("--output", action="store_true", help="print schemathesis's own output")
    options, st_options = parser.parse_known_args()  # the others go to st run
    with tempfile.TemporaryDirectory(prefix="llmr-fuzz-data-") as data:
        location = options.location or str(Path(data) / "registry")
        outcome = fuzz(location, Budget(options.max_examples, options.stateful_steps, not options.random,
                                        options.stateful_scenarios),
                       tuple(st_options))
    if options.output:
        print(outcome.output)
    print(outcome.summary())
    for (method, route, status), count in sorted(outcome.routes.items()):
        if options.output and status < 300:
            print(f"  {method} {route} {status}: {count}")
    if outcome.exit_code and not outcome.report:
        print(outcome.output[-3000:])
    sys.exit(outcome.exit_code)


if __name__ == "__main__":
    main()
