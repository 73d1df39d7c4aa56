"""A property-based run of schemathesis against ``/openapi.json``: no 5xx, and every answer
(status, content type, headers, body) is one the document declares. Bounded: a few examples
per operation, on one SQLite registry holding some data so that reads also find things.

The examples are the same on every run (hypothesis ``derandomize``), so that the suite's verdict
does not depend on the draw; ``LLM_REGISTRY_RANDOM_FUZZ=1`` draws new ones, to explore further."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.inprocess import InProcessTransport
from tests.api.conftest import BASE_URL, as_tester, model, prompt, server_settings

MAX_EXAMPLES = 15
DERANDOMIZE = os.environ.get("LLM_REGISTRY_RANDOM_FUZZ") != "1"
# The operations of the core REST API (other tags join when their modules are checked here too).
TAGS = {"assets", "versions", "aliases", "resolve", "prompts", "events", "health"}
# A request valid by the schema may still break a rule that JSON Schema cannot say (a reference
# that does not parse, a SemVer string): 422 is right there, so "positive data is accepted" is off.
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def seeded_app(tmp_path: Path) -> FastAPI:
    # One app per test: schemathesis ends an app's lifespan (closing its store) with each test.
    folder = tmp_path
    app = create_app(server_settings(str(folder / "registry"), events_max_wait=0.5), authenticator=as_tester)
    with InProcessTransport(app) as transport, httpx.Client(transport=transport, base_url=BASE_URL) as client:
        for version in ("1.0.0", "1.1.0"):
            assert client.post("/v1/models", json=model(name="a/b", version=version)).status_code == 201
        assert client.post("/v1/prompts", json=prompt(name="a/b")).status_code == 201
        client.put("/v1/models/a/b/aliases/production", json={"version": "1.0.0"})
        # Leaving the block ran the lifespan's shutdown: serve a fresh app on the same data.
    return create_app(server_settings(str(folder / "registry"), events_max_wait=0.5), authenticator=as_tester)


@pytest.fixture
def api_schema(seeded_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", seeded_app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_api_conforms_to_its_openapi(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    failures: list[str] = []
    operations = [op for op in (r.ok() for r in api_schema.get_all_operations()) if set(op.tags or ()) & TAGS]
    assert len(operations) >= 17
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), database=None, derandomize=DERANDOMIZE)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=EXCLUDED_CHECKS)

        try:
            check()
        except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
            assert mode is GenerationMode.NEGATIVE
        except (Exception, BaseExceptionGroup) as exc:  # every operation runs; failures are reported together
            failures.append(f"{operation.label}: {exc!r}")
    assert not failures, "\n\n".join(failures)
