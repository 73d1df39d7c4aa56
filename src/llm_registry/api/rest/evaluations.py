"""Evaluation results (``/v1/evaluations``): recorded with ``evaluations:record``, read by anyone
who reads assets. The service judges every value (its 422 names the field, ``metrics.accuracy``);
the schema states the same rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import DEFAULT_LIMIT, CursorQuery, LimitQuery
from llm_registry.domain import patterns
from llm_registry.domain.kinds import Kind
from llm_registry.domain.pages import Page
from llm_registry.domain.references import REFERENCE_PATTERN, kind_reference_pattern
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.governance.evaluations import (
    MAX_COMPARED,
    MAX_METRICS,
    METRIC_NAME,
    Evaluation,
    EvaluationComparison,
    EvaluationService,
)
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["evaluations"])
# Each compared reference is shorter than a reference elsewhere: MAX_COMPARED of them, percent-
# encoded, must stay within the request line a server takes (uvicorn refuses one over 64 KiB).
MAX_COMPARED_REFERENCE = 256

_REFERENCE: dict[str, Any] = {"pattern": patterns.anchored(REFERENCE_PATTERN)}


def _of_kind(kind: Kind) -> dict[str, Any]:
    return {"pattern": patterns.anchored(kind_reference_pattern(kind))}


def _optional(pattern: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's pattern, empty allowed (as if not given)."""
    return {"pattern": f"^(?:{pattern['pattern']})?$"}


class NewEvaluation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=1024, description="The version scored: a reference (a range or alias is "
                         "resolved; the exact version is kept)", json_schema_extra=_REFERENCE)
    suite: str = Field(max_length=1024, description="The `test_suite` version it was scored on",
                       json_schema_extra=_of_kind(Kind.TEST_SUITE))
    dataset: str | None = Field(None, max_length=1024, description="The `dataset` version it ran on",
                                json_schema_extra=_of_kind(Kind.DATASET))
    prompt: str | None = Field(None, max_length=1024, description="The `prompt` version it ran with",
                               json_schema_extra=_of_kind(Kind.PROMPT))
    metrics: dict[str, Any] = Field(description="Metric names to finite numbers, at least one", json_schema_extra={
        "additionalProperties": {"type": "number"}, "minProperties": 1, "maxProperties": MAX_METRICS,
        "propertyNames": {"pattern": f"^{METRIC_NAME.pattern}$"},
    })
    details: dict[str, Any] | None = Field(None, description="A JSON object of your own (at most 64 KiB)")


async def get_evaluations(request: Request) -> EvaluationService:
    """The app's evaluation service (built by ``create_app``)."""
    services: Services = request.app.state.services
    if services.evaluations is None:
        raise NotFoundError("this server has no evaluation service")
    return services.evaluations


SubjectFilter = Annotated[str | None, Query(
    max_length=1024, description="Only evaluations of the version this reference chooses; empty: any",
    json_schema_extra=_optional(_REFERENCE),
)]
SuiteFilter = Annotated[str | None, Query(
    max_length=1024, description="Only evaluations on this test suite: without a selector any of its versions, a "
    "range any version in it; empty: any", json_schema_extra=_optional(_of_kind(Kind.TEST_SUITE)),
)]


@router.post(
    "/v1/evaluations", status_code=201, response_model=Evaluation, responses=responses.WRITE,
    name="record_evaluation",
)
async def record_evaluation(
    request: Request,
    body: NewEvaluation,
    context: RequestContext = Depends(get_context),
    evaluations: EvaluationService = Depends(get_evaluations),
) -> Response:
    """Record scores of a version on a test suite version (`evaluations:record`): 201 with the exact
    references kept; 404 when a reference chooses nothing; 422 naming the field."""
    recorded = await run_service(
        request, evaluations.record, body.subject, suite=body.suite, dataset=body.dataset, prompt=body.prompt,
        metrics=body.metrics, details=body.details, actor=context.actor,
    )
    return respond(request, recorded, status_code=201, headers={"Location": f"/v1/evaluations/{recorded.id}"})


@router.get("/v1/evaluations", response_model=Page[Evaluation], responses=responses.READ, name="list_evaluations")
async def list_evaluations(
    request: Request,
    subject: SubjectFilter = None,
    suite: SuiteFilter = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    evaluations: EvaluationService = Depends(get_evaluations),
) -> Response:
    """Evaluations newest first, of a version, on a suite, or both."""
    page = await run_read(request, evaluations.list, subject=subject or None, suite=suite or None, cursor=cursor,
                          limit=limit)
    return respond(request, page)


@router.get(
    "/v1/evaluations/compare", response_model=EvaluationComparison, responses=responses.READ,
    name="compare_evaluations",
)
async def compare_evaluations(
    request: Request,
    refs: Annotated[list[str], Query(
        alias="ref", description=f"The versions to compare, the first the baseline (1 to {MAX_COMPARED})",
        json_schema_extra={"minItems": 1, "maxItems": MAX_COMPARED, "items": {
            "type": "string", "maxLength": MAX_COMPARED_REFERENCE, **_REFERENCE}},
    )],
    suite: Annotated[str, Query(
        max_length=1024, description="The test suite (without a selector any of its versions, a range any in it)",
        json_schema_extra=_of_kind(Kind.TEST_SUITE),
    )],
    context: RequestContext = Depends(get_context),
    evaluations: EvaluationService = Depends(get_evaluations),
) -> Response:
    """Each version's newest evaluation on the suite, its metrics, and each metric minus the first version's."""
    for index, ref in enumerate(refs):
        if len(ref) > MAX_COMPARED_REFERENCE:
            raise ValidationError(f"ref[{index}] is longer than {MAX_COMPARED_REFERENCE} characters",
                                  code="invalid_reference", field="ref")
    return respond(request, await run_read(request, evaluations.compare, refs, suite=suite))


@router.get(
    "/v1/evaluations/{evaluation_id}", response_model=Evaluation, responses=responses.READ, name="get_evaluation",
)
async def get_evaluation(
    request: Request,
    evaluation_id: Annotated[str, Path(max_length=64, description="The evaluation's id")],
    context: RequestContext = Depends(get_context),
    evaluations: EvaluationService = Depends(get_evaluations),
) -> Response:
    """One evaluation (404 `evaluation_not_found`)."""
    return respond(request, await run_read(request, evaluations.get, evaluation_id))
