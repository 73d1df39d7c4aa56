"""Evaluation results on every variant (SQLite, PostgreSQL, remote over HTTP): recorded with the
exact versions their references chose and their event, listed per version and per suite (a range
matches every version in it), compared, refused with the field to blame, and read by a policy
rule that gates an alias move."""

from __future__ import annotations

from typing import Any

import pytest

from llm_registry.errors import NotFoundError, PolicyDeniedError, RegistryError, ValidationError
from llm_registry.registry import Registry
from tests.evaluations.conftest import seed

SUBJECT = "model:acme/support-bot"
SUITE = "test_suite:acme/support-evals"


def refused(call: Any, error: type[RegistryError], code: str, field: str | None) -> RegistryError:
    with pytest.raises(error) as caught:
        call()
    assert (caught.value.code, caught.value.field) == (code, field), caught.value
    return caught.value


def test_record_keeps_the_exact_versions_and_its_event(registry: Registry) -> None:
    seed(registry)
    recorded = registry.record_evaluation(
        f"{SUBJECT}@^1", suite=f"{SUITE}@^2", dataset="dataset:acme/tickets", prompt="acme/answer@1.0.0",
        metrics={"accuracy": 0.91, "latency.p95-ms": 120, "_f1": 0.5}, details={"cases": 120, "judge": "gpt"},
    )
    assert recorded.subject == f"{SUBJECT}@1.1.0"
    assert recorded.suite == f"{SUITE}@2.1.0"
    assert recorded.dataset == "dataset:acme/tickets@1.0.0"
    assert recorded.prompt == "prompt:acme/answer@1.0.0"
    assert recorded.metrics == {"accuracy": 0.91, "latency.p95-ms": 120.0, "_f1": 0.5}
    assert recorded.details == {"cases": 120, "judge": "gpt"}
    assert recorded.created_by == "tester"
    assert registry.evaluation(recorded.id) == recorded

    events = registry.events(type=["evaluation.recorded"]).items
    assert [(e.subject, e.actor) for e in events] == [(f"{SUBJECT}@1.1.0", "tester")]
    assert events[0].payload == {"evaluation": recorded.id, "suite": f"{SUITE}@2.1.0",
                                 "dataset": "dataset:acme/tickets@1.0.0", "prompt": "prompt:acme/answer@1.0.0",
                                 "metrics": recorded.metrics}


def test_lists_per_version_and_per_suite_newest_first_in_pages(registry: Registry) -> None:
    seed(registry)
    first = registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@2.0.0", metrics={"accuracy": 0.8})
    second = registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@3.0.0", metrics={"accuracy": 0.82})
    third = registry.record_evaluation(f"{SUBJECT}@1.1.0", suite=f"{SUITE}@2.1.0", metrics={"accuracy": 0.9})

    def ids(**filters: Any) -> list[str]:
        return [e.id for e in registry.evaluations(**filters).items]

    assert ids() == [third.id, second.id, first.id]
    assert ids(subject=f"{SUBJECT}@1.0.0") == [second.id, first.id]
    assert ids(subject=SUBJECT) == [third.id]  # no selector: latest, 1.1.0
    assert ids(suite=SUITE) == [third.id, second.id, first.id]  # no selector: every version of the suite
    assert ids(suite=f"{SUITE}@^2") == [third.id, first.id]
    assert ids(suite=f"{SUITE}@2.1.0") == [third.id]
    assert ids(suite="acme/support-evals@>=3") == [second.id]  # the kind may be left out
    assert ids(subject=f"{SUBJECT}@1.0.0", suite=f"{SUITE}@^2") == [first.id]

    page = registry.evaluations(limit=2)
    assert [e.id for e in page.items] == [third.id, second.id]
    assert page.next_cursor is not None
    rest = registry.evaluations(limit=2, cursor=page.next_cursor)
    assert ([e.id for e in rest.items], rest.next_cursor) == ([first.id], None)


def test_compare_puts_each_versions_newest_evaluation_side_by_side(registry: Registry) -> None:
    seed(registry)
    registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@2.0.0", metrics={"accuracy": 0.7})
    older = registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@2.1.0",
                                       metrics={"accuracy": 0.85, "f1": 0.8})
    registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@3.0.0", metrics={"accuracy": 0.99})
    newer = registry.record_evaluation(f"{SUBJECT}@1.1.0", suite=f"{SUITE}@2.0.0",
                                       metrics={"accuracy": 0.91, "bleu": 30})

    comparison = registry.compare_evaluations([f"{SUBJECT}@1.0.0", f"{SUBJECT}@^1"], suite=f"{SUITE}@^2")
    assert comparison.suite == f"{SUITE}@^2"
    assert comparison.metrics == ["accuracy", "bleu", "f1"]
    baseline, candidate = comparison.versions
    assert (baseline.ref, baseline.evaluation) == (f"{SUBJECT}@1.0.0", older)
    assert baseline.differences == {"accuracy": 0.0, "bleu": None, "f1": 0.0}
    assert (candidate.ref, candidate.evaluation) == (f"{SUBJECT}@1.1.0", newer)
    assert candidate.metrics == {"accuracy": 0.91, "bleu": 30.0}
    assert candidate.differences == {"accuracy": 0.06, "bleu": None, "f1": None}

    registry.register({"kind": "model", "name": "acme/other", "version": "1.0.0", "spec": {}})
    lone = registry.compare_evaluations(["model:acme/other", f"{SUBJECT}@1.1.0"], suite=f"{SUITE}@3.0.0")
    assert [(v.ref, v.evaluation) for v in lone.versions] == [("model:acme/other@1.0.0", None),
                                                             (f"{SUBJECT}@1.1.0", None)]
    assert lone.metrics == []


def test_every_bad_input_is_refused_naming_its_field(registry: Registry) -> None:
    seed(registry)
    before = registry.events(limit=1000).items

    def record(**changes: Any) -> Any:
        arguments: dict[str, Any] = {"subject": f"{SUBJECT}@1.0.0", "suite": SUITE, "metrics": {"accuracy": 0.9}}
        arguments.update(changes)
        return lambda: registry.record_evaluation(arguments.pop("subject"), **arguments)

    refused(record(subject="model:acme/nothing"), NotFoundError, "asset_not_found", "subject")
    refused(record(subject=f"{SUBJECT}@9.9.9"), NotFoundError, "version_not_found", "subject")
    refused(record(subject="not a reference"), ValidationError, "invalid_reference", "subject")
    refused(record(suite="model:acme/support-bot"), ValidationError, "invalid_reference", "suite")
    refused(record(suite=f"{SUITE}@^9"), NotFoundError, "version_not_found", "suite")
    refused(record(suite="test_suite:acme/nothing"), NotFoundError, "asset_not_found", "suite")
    refused(record(dataset="prompt:acme/answer"), ValidationError, "invalid_reference", "dataset")
    refused(record(dataset="acme/nothing"), NotFoundError, "asset_not_found", "dataset")
    refused(record(prompt="dataset:acme/tickets"), ValidationError, "invalid_reference", "prompt")
    refused(record(metrics={}), ValidationError, "invalid_parameter", "metrics")
    refused(record(metrics={"1accuracy": 0.9}), ValidationError, "invalid_parameter", "metrics.1accuracy")
    refused(record(metrics={"a" * 65: 0.9}), ValidationError, "invalid_parameter", f"metrics.{'a' * 65}")
    refused(record(metrics={"has space": 0.9}), ValidationError, "invalid_parameter", "metrics.has space")
    for bad in (float("nan"), float("inf"), True, "0.9", None, [0.9]):
        refused(record(metrics={"ok": 1, "accuracy": bad}), ValidationError, "invalid_parameter", "metrics.accuracy")
    refused(record(details=[1, 2]), ValidationError, "invalid_parameter", "details")
    refused(record(details={"text": "x" * 70_000}), ValidationError, "invalid_parameter", "details")
    assert registry.events(limit=1000).items == before  # nothing written

    refused(lambda: registry.evaluation("01J00000000000000000000000"), NotFoundError, "evaluation_not_found", "id")
    refused(lambda: registry.evaluations(suite="model:acme/support-bot"), ValidationError, "invalid_reference",
            "suite")
    refused(lambda: registry.evaluations(subject="model:acme/nothing"), NotFoundError, "asset_not_found", "subject")
    refused(lambda: registry.evaluations(cursor="nonsense"), ValidationError, "invalid_cursor", "cursor")
    refused(lambda: registry.compare_evaluations([f"{SUBJECT}@1.0.0"], suite="dataset:acme/tickets"),
            ValidationError, "invalid_reference", "suite")
    refused(lambda: registry.compare_evaluations([f"{SUBJECT}@1.0.0", "model:acme/nothing"], suite=SUITE),
            NotFoundError, "asset_not_found", "refs[1]")


def test_compare_needs_references(embedded: Registry) -> None:
    seed(embedded)
    refused(lambda: embedded.compare_evaluations([], suite=SUITE), ValidationError, "invalid_parameter", "refs")
    refused(lambda: embedded.compare_evaluations([SUBJECT] * 11, suite=SUITE), ValidationError,
            "invalid_parameter", "refs")


@pytest.fixture
def embedded(tmp_path: Any) -> Any:
    with Registry.open(str(tmp_path / "registry"), actor="tester") as opened:
        yield opened


GATE = {
    "kind": "policy", "name": "acme/release-gate", "version": "1.0.0",
    "spec": {"rules": [{
        "name": "accuracy-before-production",
        "on": ["move_alias"],
        "scope": {"kinds": ["model"]},
        "when": 'target.alias == "production" && !evaluations.exists(e, '
                'e.suite.startsWith("test_suite:acme/support-evals@") && has(e.metrics.accuracy) && '
                "e.metrics.accuracy >= 0.9)",
        "effect": "deny",
        "message": "production needs accuracy >= 0.9 on acme/support-evals",
    }]},
}


def test_a_policy_rule_reads_the_recorded_evaluations(registry: Registry) -> None:
    seed(registry)
    registry.register(GATE)
    registry.set_alias("policy:acme/release-gate", "active", "1.0.0")
    registry.set_alias(SUBJECT, "staging", "1.1.0")  # the rule is about production only

    error = refused(lambda: registry.set_alias(SUBJECT, "production", "1.1.0"), PolicyDeniedError,
                    "policy_denied", None)
    assert "accuracy >= 0.9" in error.message
    registry.record_evaluation(f"{SUBJECT}@1.1.0", suite=f"{SUITE}@2.0.0", metrics={"accuracy": 0.85})
    registry.record_evaluation(f"{SUBJECT}@1.1.0", suite=f"{SUITE}@2.0.0", metrics={"f1": 0.99})
    registry.record_evaluation(f"{SUBJECT}@1.0.0", suite=f"{SUITE}@2.0.0", metrics={"accuracy": 0.95})
    refused(lambda: registry.set_alias(SUBJECT, "production", "1.1.0"), PolicyDeniedError, "policy_denied", None)

    registry.record_evaluation(f"{SUBJECT}@1.1.0", suite=f"{SUITE}@^2", metrics={"accuracy": 0.93})
    moved = registry.set_alias(SUBJECT, "production", "1.1.0")
    assert moved.version == "1.1.0"
    assert registry.set_alias(SUBJECT, "production", "1.0.0").version == "1.0.0"
    denied = [e.payload["denials"][0]["rule"] for e in registry.events(type=["policy.denied"]).items]
    assert denied == ["accuracy-before-production"] * 2
