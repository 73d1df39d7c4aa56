"""Fixtures of the governance suite: registries of every variant (SQLite, PostgreSQL, and the REST
app in process over HTTP), and the assets an evaluation is about."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_registry.registry import Registry
from llm_registry.settings import Settings
from tests.conftest import REGISTRY_VARIANTS, open_remote, variant_location


@pytest.fixture(params=REGISTRY_VARIANTS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """A registry of each variant, acting as ``tester`` (an admin)."""
    location = variant_location(request.param, request, tmp_path)
    if request.param == "remote":
        with open_remote(location) as (remote, _):
            yield remote
        return
    with Registry.open(location, settings=Settings(), actor="tester") as opened:
        yield opened


def model(version: str, name: str = "acme/support-bot") -> dict[str, Any]:
    return {"kind": "model", "name": name, "version": version, "spec": {"architecture": "llama"}}


def suite(version: str, name: str = "acme/support-evals") -> dict[str, Any]:
    return {"kind": "test_suite", "name": name, "version": version,
            "spec": {"cases": [{"input": "hi"}], "scorers": [{"name": "accuracy", "type": "exact_match"}]}}


def dataset(version: str = "1.0.0") -> dict[str, Any]:
    return {"kind": "dataset", "name": "acme/tickets", "version": version, "spec": {"format": "jsonl"}}


def prompt(version: str = "1.0.0") -> dict[str, Any]:
    return {"kind": "prompt", "name": "acme/answer", "version": version, "spec": {"template": "Answer: hi"}}


def seed(registry: Registry) -> None:
    """Two model versions, three suite versions (2.0.0, 2.1.0, 3.0.0), a dataset and a prompt."""
    for document in (model("1.0.0"), model("1.1.0"), suite("2.0.0"), suite("2.1.0"), suite("3.0.0"), dataset(),
                     prompt()):
        registry.register(document)
