"""``POST /v1/batch/register``: many version documents, one transaction, a result per document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.assets.models import MAX_BATCH, MAX_SIZE, BatchResult, JsonInt
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["assets"])


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH,
                                            description="Version documents, registered in order")
    # A JSON boolean and integer, as the schema says ("yes" and "3" are refused).
    continue_on_error: bool = Field(default=False, strict=True,
                                    description="Commit the good documents, report the others")
    offset: JsonInt = Field(default=0, ge=0, le=MAX_SIZE,
                            description="The number of the first document (for a list sent in parts)")


@router.post("/v1/batch/register", response_model=BatchResult, responses=responses.WRITE, name="register_batch")
async def register_batch(
    request: Request,
    body: BatchRequest,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Register every document in one transaction, each with the checks, pins, search entry and
    event of a single registration (a document may depend on one earlier in the list). All or
    nothing: the first failing document answers its own error (``field`` is
    ``documents[i].…``, every failure in ``details.failures``) and nothing is written, unless
    ``continue_on_error``."""
    result = await run_service(
        request, services.batch.register_many, body.documents, actor=context.actor, batch_size=len(body.documents),
        continue_on_error=body.continue_on_error, offset=body.offset,
    )
    return respond(request, result)
