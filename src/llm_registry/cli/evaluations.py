"""Evaluation results: ``eval record``, ``eval ls``, ``eval show`` and ``eval compare``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llm_registry.cli.output import emit_items, emit_model, next_page_hint, notice, print_table, short_time, table
from llm_registry.cli.params import json_or_text, split_pair
from llm_registry.cli.session import JsonOption, current_state, open_registry
from llm_registry.errors import ValidationError

if TYPE_CHECKING:
    from llm_registry.governance.evaluations import Evaluation, EvaluationComparison

eval_app = typer.Typer(help="Evaluation results: scores of versions on test suites.", no_args_is_help=True)

SuiteOption = Annotated[
    str, typer.Option("--suite", metavar="REF", help="The test suite: test_suite:ns/name[@selector].")
]


def parse_metrics(pairs: list[str]) -> dict[str, Any]:
    """``--metric NAME=VALUE`` options as metrics (the registry checks the names and values)."""
    metrics: dict[str, Any] = {}
    for pair in pairs:
        name, value = split_pair(pair, "--metric")
        if name in metrics:
            raise ValidationError(f"metric {name!r} is given twice", code="invalid_parameter", field=f"metrics.{name}")
        metrics[name] = json_or_text(value)
    return metrics


def number(value: float) -> str:
    return format(value, ".6g")


def metrics_text(metrics: dict[str, float]) -> str:
    return " ".join(f"{name}={number(value)}" for name, value in metrics.items())


@eval_app.command("record")
def record(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(metavar="REF", help="The version scored: kind:ns/name[@selector].")],
    suite: SuiteOption,
    metric: Annotated[
        list[str], typer.Option("--metric", metavar="NAME=VALUE", help="A score, such as accuracy=0.91 (repeatable).")
    ],
    dataset: Annotated[
        str | None, typer.Option("--dataset", metavar="REF", help="The dataset version it ran on.")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", metavar="REF", help="The prompt version it ran with.")
    ] = None,
    details_file: Annotated[
        Path | None, typer.Option("--details-file", metavar="FILE", help="A JSON object of your own to keep with it.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Record the scores of a version on a test suite version (ranges and aliases are resolved)."""
    state = current_state(ctx, json_output)
    metrics = parse_metrics(metric)
    details = None
    if details_file is not None:
        from llm_registry.integrity.trust.inputs import read_json_input

        details = read_json_input(details_file, field="details")
    with open_registry(state) as registry:
        evaluation = registry.record_evaluation(subject, suite=suite, dataset=dataset, prompt=prompt,
                                                metrics=metrics, details=details)
    if state.json:
        emit_model(evaluation)
    else:
        notice(f"recorded {evaluation.id}: {evaluation.subject} on {evaluation.suite}: "
               f"{metrics_text(evaluation.metrics)}")


@eval_app.command("ls")
def list_evaluations(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Option("--subject", metavar="REF", help="Only evaluations of the version this chooses.")
    ] = None,
    suite: Annotated[
        str | None, typer.Option("--suite", metavar="REF", help="Only on this test suite (no selector: any of its "
                                 "versions; a range: any in it).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Items per page (1-1000).")] = 100,
    cursor: Annotated[str | None, typer.Option("--cursor", help="Continue after this page cursor.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List evaluations, newest first."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        page = registry.evaluations(subject=subject, suite=suite, cursor=cursor, limit=limit)
    if state.json:
        emit_items(page.items, page.next_cursor)
        return
    rows = [[e.id, e.subject, e.suite, metrics_text(e.metrics), short_time(e.created_at), e.created_by]
            for e in page.items]
    print_table(table("ID", "SUBJECT", "SUITE", "METRICS", "RECORDED", "BY"), rows)
    next_page_hint(page.next_cursor)


@eval_app.command("show")
def show(
    ctx: typer.Context,
    evaluation_id: Annotated[str, typer.Argument(metavar="ID", help="The evaluation's id.")],
    json_output: JsonOption = False,
) -> None:
    """Show one evaluation."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        evaluation = registry.evaluation(evaluation_id)
    if state.json:
        emit_model(evaluation)
    else:
        show_evaluation(evaluation)


def show_evaluation(evaluation: Evaluation) -> None:
    rows = [["subject", evaluation.subject], ["suite", evaluation.suite]]
    rows += [[field, value] for field, value in (("dataset", evaluation.dataset), ("prompt", evaluation.prompt))
             if value]
    rows += [[f"metrics.{name}", number(value)] for name, value in evaluation.metrics.items()]
    if evaluation.details:
        import orjson

        rows.append(["details", orjson.dumps(evaluation.details).decode()])
    rows += [["recorded", short_time(evaluation.created_at)], ["by", evaluation.created_by]]
    print_table(table("EVALUATION", evaluation.id), rows)


@eval_app.command("compare")
def compare(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="REF...", help="The versions, the first the baseline.")],
    suite: SuiteOption,
    json_output: JsonOption = False,
) -> None:
    """Compare versions on a test suite: each one's newest evaluation there, and each metric against the first's."""
    state = current_state(ctx, json_output)
    with open_registry(state) as registry:
        comparison = registry.compare_evaluations(refs, suite=suite)
    if state.json:
        emit_model(comparison)
    else:
        show_comparison(comparison)


def show_comparison(comparison: EvaluationComparison) -> None:
    rows = []
    for index, version in enumerate(comparison.versions):
        cells = [version.ref, version.evaluation.suite if version.evaluation else "(not evaluated)"]
        for name in comparison.metrics:
            value = version.metrics.get(name)
            difference = version.differences.get(name)
            text = "" if value is None else number(value)
            if index and difference is not None:
                text += f" ({difference:+.6g})"
            cells.append(text)
        rows.append(cells)
    print_table(table("VERSION", "SUITE", *comparison.metrics), rows)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` group to ``app``."""
    app.add_typer(eval_app, name="eval")
