"""Fixtures of the discovery suite: a query counter, small manifest builders and a search corpus."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from llm_registry.assets import store_sql
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.storage import compiled

_NOT_QUERIES = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class QueryCounter:
    """Counts statements sent to the database: through SQLAlchemy (the engine's
    ``before_cursor_execute``) and through the compiled hot statements on the raw cursor."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False

    def record(self, sql: str) -> None:
        if self.active and not sql.lstrip().upper().startswith(_NOT_QUERIES):
            self.statements.append(sql)

    @contextmanager
    def __call__(self) -> Iterator[list[str]]:
        self.statements = []
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


@pytest.fixture
def count_queries(registry: EmbeddedRegistry, monkeypatch: pytest.MonkeyPatch) -> QueryCounter:
    """``with count_queries() as statements: ...`` then ``len(statements)``."""
    counter = QueryCounter()
    engine: sa.Engine = registry.store.engine  # type: ignore[attr-defined]

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.record(statement)

    event.listen(engine, "before_cursor_execute", listener)
    for method in ("fetch", "execute", "execute_many"):
        original = getattr(compiled.CompiledStatement, method)

        def wrapped(self: compiled.CompiledStatement, *args: Any, __original: Any = original) -> Any:
            counter.record(self.sql)
            return __original(self, *args)

        monkeypatch.setattr(compiled.CompiledStatement, method, wrapped)
    # Range and latest resolution stream version numbers from the raw cursor as well.
    original_numbers = store_sql.SqlTransaction.iter_version_numbers

    def numbers(self: store_sql.SqlTransaction, *args: Any, **kwargs: Any) -> Any:
        counter.record("SELECT (version numbers)")
        return original_numbers(self, *args, **kwargs)

    monkeypatch.setattr(store_sql.SqlTransaction, "iter_version_numbers", numbers)
    return counter


def manifest(
    kind: str,
    name: str,
    version: str = "1.0.0",
    *,
    deps: list[tuple[str, str]] | None = None,
    spec: dict[str, Any] | None = None,
    labels: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest; ``deps`` are (ref, relation) pairs."""
    default_spec: dict[str, Any] = {
        "model": {"architecture": "llama"},
        "prompt": {"template": "Hello"},
    }.get(kind, {})
    return {
        "kind": kind,
        "name": name,
        "version": version,
        "spec": spec if spec is not None else default_spec,
        "dependencies": [{"ref": r, "relation": rel} for r, rel in deps or []],
        "labels": labels or {},
    }


def labels(description: str | None = None, license: str | None = None, tags: list[str] | None = None,
            **annotations: str) -> dict[str, Any]:
    return {"description": description, "license": license, "tags": tags or [], "annotations": annotations}


@pytest.fixture
def corpus(registry: EmbeddedRegistry) -> EmbeddedRegistry:
    """Seven versions of every kind, with text, tags, spec fields, annotations and pins."""
    r = registry
    r.register(manifest("dataset", "acme/support-tickets", spec={"format": "jsonl", "rows": 120000},
                        labels=labels("Customer support tickets", "cc-by-4.0", ["support", "english"])))
    r.register(manifest("model", "meta/llama-3-8b", spec={"architecture": "llama", "parameters": 8030000000,
                                                          "context_length": 8192},
                        labels=labels("Base model", "llama3", ["base"])))
    r.register(manifest("model", "acme/llama-support", "1.0.0",
                        spec={"architecture": "llama", "parameters": 8030000000, "context_length": 8192},
                        deps=[("model:meta/llama-3-8b", "derived_from"),
                              ("dataset:acme/support-tickets", "trained_on")],
                        labels=labels("Support fine-tune", "apache-2.0", ["chat", "support"], team="nlp")))
    r.register(manifest("model", "acme/llama-support", "2.0.0",
                        spec={"architecture": "llama", "parameters": 8030000000, "context_length": 32768,
                              "card": "Long context chat model"},
                        deps=[("model:meta/llama-3-8b", "derived_from")],
                        labels=labels("Support fine-tune, long context", "apache-2.0", ["chat", "support"],
                                       team="nlp")))
    r.register(manifest("model", "beta/mistral-chat", spec={"architecture": "mistral", "parameters": 7.2e9,
                                                            "context_length": 32768, "card": "Tuned from llama data"},
                        labels=labels("Chat model", "apache-2.0", ["chat"], team="search")))
    r.register(manifest("prompt", "acme/triage", spec={"template": "Classify this support ticket for llama"},
                        labels=labels("Ticket triage prompt", "mit", ["support"])))
    r.register(manifest("pipeline", "acme/rag", deps=[("model:acme/llama-support@1.0.0", "uses")],
                        labels=labels("Retrieval pipeline", None, ["rag"])))
    return r
