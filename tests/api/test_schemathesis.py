"""The OpenAPI document is the truth: schemathesis fuzzes the real server and finds nothing.

A server with authentication (a bootstrap admin, sessions, API keys, rate limits) on a seeded
registry, served on a socket, and ``st run`` against its ``/openapi.json`` (tests/api/fuzzing.py):
every check (no 5xx; every status, content type and header declared; schema-valid requests
accepted and schema-violating ones refused; 405 with a true ``Allow`` for undeclared methods;
credentials checked), in every phase (the schema's examples, coverage, fuzzing in both
generation modes, and the stateful phase along the document's links). Any finding or error
fails the test.

The examples are the same on every run (deterministic generation), so that the verdict does not
depend on the draw; ``LLM_REGISTRY_RANDOM_FUZZ=1`` draws new ones, and
``LLM_REGISTRY_FUZZ_EXAMPLES=N`` fuzzes N examples per operation, to explore further. SQLite
gets the main budget (every phase, under three minutes); PostgreSQL a smaller one (no coverage
phase, fewer examples and scenarios).
"""

from __future__ import annotations

import os

import pytest

from tests.api.fuzzing import Budget, Outcome, fuzz

RANDOM = os.environ.get("LLM_REGISTRY_RANDOM_FUZZ") == "1"
EXAMPLES = int(os.environ.get("LLM_REGISTRY_FUZZ_EXAMPLES", "0"))
BUDGETS = {
    "sqlite": Budget(max_examples=EXAMPLES or 5, stateful_steps=16, deterministic=not RANDOM, stateful_scenarios=80),
    "postgresql": Budget(max_examples=EXAMPLES or 5, stateful_steps=8, deterministic=not RANDOM,
                         stateful_scenarios=30, phases=("examples", "fuzzing", "stateful")),
}
_VERSION = "/v1/{kinds}/{namespace}/{name}/versions/{version}"
_ALIAS = "/v1/{kinds}/{namespace}/{name}/aliases/{alias}"
# What the stateful phase must reach along the links: the life of a version, and of a session.
REACHED = {
    "sqlite": [
        ("POST", "/v1/{kinds}", 201), ("GET", _VERSION, 200), ("PATCH", _VERSION, 200), ("PUT", _ALIAS, 200),
        ("GET", "/v1/resolve", 200), ("DELETE", _VERSION, 200), ("POST", "/v1/users", 201),
        ("POST", "/v1/auth/login", 200), ("POST", "/v1/auth/logout", 204), ("POST", "/v1/api-keys", 201),
        ("GET", "/v1/auth/me", 200), ("DELETE", "/v1/api-keys/{key_id}", 200),
    ],
    "postgresql": [("POST", "/v1/{kinds}", 201), ("POST", "/v1/auth/login", 200), ("POST", "/v1/api-keys", 201)],
}


def report(outcome: Outcome) -> str:
    return f"{outcome.summary()}\n\n{outcome.output[-20_000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_server_keeps_its_openapi_contract(location: str, backend: str) -> None:
    outcome = fuzz(location, BUDGETS[backend])
    assert outcome.report, report(outcome)
    assert not outcome.failures, report(outcome)
    assert not outcome.errors, report(outcome)
    assert outcome.exit_code == 0, report(outcome)
    assert outcome.statuses.get(500, 0) == 0
    unreached = [f"{m} {p} {s}" for m, p, s in REACHED[backend] if not outcome.answered(m, p, s)]
    assert not unreached, f"the fuzzing never reached: {unreached}\n{outcome.summary()}"
    print(outcome.summary())
    for method, path, status in [*REACHED[backend], ("GET", _ALIAS, 200), ("DELETE", _ALIAS, 204),
                                 ("POST", "/v1/auth/refresh", 200)]:
        print(f"  {method} {path} {status}: {outcome.answered(method, path, status)}")
