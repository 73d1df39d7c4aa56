"""Fixtures of the governance suite: policy documents, activated through their ``active`` alias,
on registries of both backends; a second actor on the same database to decide approvals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings


def rule(name: str, when: str, effect: str = "deny", *, on: list[str] | None = None, message: str | None = None,
         **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "when": when, "effect": effect, "message": message or f"{name} says no"}
    if on is not None:
        out["on"] = on
    return {**out, **more}


def policy(*rules: dict[str, Any], name: str = "platform/rules", version: str = "1.0.0",
           **spec: Any) -> dict[str, Any]:
    return {"kind": "policy", "name": name, "version": version, "spec": {"rules": list(rules), **spec}}


def model(name: str = "acme/chat", version: str = "1.0.0", **labels: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": "model", "name": name, "version": version, "spec": {"architecture": "llama"}}
    if labels:
        document["labels"] = labels
    return document


def activate(registry: Registry, document: dict[str, Any], *, force: bool = False) -> str:
    """Register a policy document and point its ``active`` alias at it; its reference."""
    registered = registry.register(document)
    registry.set_alias(f"policy:{document['name']}", "active", registered.version, force=force)
    return registered.ref


@pytest.fixture
def other(location: str) -> Iterator[EmbeddedRegistry]:
    """The same database as ``registry``, as another admin (``approver``)."""
    opened = Registry.open(location, settings=Settings(), actor="approver")
    assert isinstance(opened, EmbeddedRegistry)
    with opened:
        yield opened
