"""Policies in force, their dry run (``/v1/governance/…``; ``/v1/policies`` is the policy
assets' collection, as for every kind), and approval requests (``/v1/approvals``).

Reading the policies and trying one needs ``policies:read``; anyone signed in lists and reads the
approval requests they may see (all of them with ``policies:read``, else their own); deciding
one needs ``policies:manage`` and is never the requester's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import DEFAULT_LIMIT, CursorQuery, LimitQuery
from llm_registry.domain.kinds import Kind
from llm_registry.domain.pages import Page
from llm_registry.domain.patterns import anchored
from llm_registry.domain.references import REFERENCE_PATTERN, kind_reference_pattern
from llm_registry.errors import NotFoundError
from llm_registry.governance.approvals import MAX_COMMENT, Approval, ApprovalService
from llm_registry.governance.services import PolicyService, PolicySummary, PolicyTest
from llm_registry.services import Services


async def get_policies(request: Request) -> PolicyService:
    """The app's policy service; NotFoundError on an app without one."""
    services: Services = request.app.state.services
    if services.policies is None:
        raise NotFoundError("this server has no policy service")
    return services.policies


async def get_approvals(request: Request) -> ApprovalService:
    """The app's approval service; NotFoundError on an app without one."""
    services: Services = request.app.state.services
    if services.approvals is None:
        raise NotFoundError("this server has no approval service")
    return services.approvals


router = APIRouter(route_class=RegistryRoute, tags=["governance"])
ApprovalPath = Annotated[str, Path(max_length=64, description="The approval request's id")]
StateQuery = Annotated[
    Literal["pending", "approved", "rejected", "failed"] | None,
    Query(description="Only requests in this state"),
]
Operation = Literal["register", "update_labels", "change_status", "move_alias", "delete"]


SubjectReference = Annotated[str, Field(min_length=1, max_length=1024,
                                        json_schema_extra={"pattern": anchored(REFERENCE_PATTERN)})]


class PolicyTrial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str = Field(min_length=1, max_length=512,
                        description="The policy version to try (`policy:ns/name@1.0.0`, a range, an alias; the "
                                    "`policy:` may be left out)",
                        json_schema_extra={"pattern": anchored(kind_reference_pattern(Kind.POLICY))})
    # The document arm is the registration's ``Document`` in the OpenAPI document (rest/schemas.py).
    subject: SubjectReference | dict[str, Any] = Field(
        description="A registered version's reference, or a document as `register` takes it"
    )
    operation: Operation = Field("register", description="The operation to try it for")
    target: dict[str, Any] = Field(default_factory=dict, description="The operation's target (`{\"alias\": …}`, "
                                                                     "`{\"status\": …}`)")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=MAX_COMMENT, description="Why (optional)")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not blank: the service refuses (422 `invalid_parameter`) a comment of only whitespace.
    comment: str = Field(min_length=1, max_length=MAX_COMMENT, description="Why the change is refused (not blank)",
                         json_schema_extra={"pattern": r"\S"})


@router.get("/v1/governance/policies", response_model=Page[PolicySummary], responses=responses.READ,
            name="list_policies")
async def list_policies(
    request: Request,
    context: RequestContext = Depends(get_context),
    policies: PolicyService = Depends(get_policies),
) -> Response:
    """The policies in force (each policy asset's `active` version) with their rules."""
    active = await run_service(request, policies.active, actor=context.actor)
    return respond(request, Page[PolicySummary](items=active, next_cursor=None))


@router.post("/v1/governance/test", response_model=PolicyTest, responses=responses.BODY, name="test_policy")
async def try_policy(
    request: Request,
    body: PolicyTrial,
    context: RequestContext = Depends(get_context),
    policies: PolicyService = Depends(get_policies),
) -> Response:
    """Dry-run a policy over a document or a registered version: each rule's outcome; nothing changes."""
    tried = await run_service(request, policies.test, body.policy, body.subject, operation=body.operation,
                              target=body.target, actor=context.actor)
    return respond(request, tried)


@router.get("/v1/approvals", response_model=Page[Approval], responses=responses.READ, name="list_approvals")
async def list_approvals(
    request: Request,
    state: StateQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    approvals: ApprovalService = Depends(get_approvals),
) -> Response:
    """Approval requests, oldest first (without `policies:read`, only one's own)."""
    page = await run_read(request, approvals.list, actor=context.actor, state=state, cursor=cursor,
                          limit=limit)
    return respond(request, page)


@router.get("/v1/approvals/{approval_id}", response_model=Approval, responses=responses.READ, name="get_approval")
async def get_approval(
    request: Request,
    approval_id: ApprovalPath,
    context: RequestContext = Depends(get_context),
    approvals: ApprovalService = Depends(get_approvals),
) -> Response:
    """One approval request (404 `approval_not_found`)."""
    return respond(request, await run_read(request, approvals.get, approval_id, actor=context.actor))


@router.post("/v1/approvals/{approval_id}/approve", response_model=Approval, responses=responses.WRITE,
             name="approve")
async def approve(
    request: Request,
    approval_id: ApprovalPath,
    body: Decision,
    context: RequestContext = Depends(get_context),
    approvals: ApprovalService = Depends(get_approvals),
) -> Response:
    """Approve the request and carry its change out (`result`); 409 `approval_decided` when it was decided
    already, `approval_not_applicable` when the change no longer applies; 403 `self_approval`."""
    decided = await run_service(request, approvals.approve, approval_id, actor=context.actor,
                                comment=body.comment)
    return respond(request, decided)


@router.post("/v1/approvals/{approval_id}/reject", response_model=Approval, responses=responses.WRITE,
             name="reject")
async def reject(
    request: Request,
    approval_id: ApprovalPath,
    body: Rejection,
    context: RequestContext = Depends(get_context),
    approvals: ApprovalService = Depends(get_approvals),
) -> Response:
    """Reject the request (a `comment` says why); nothing changes."""
    decided = await run_service(request, approvals.reject, approval_id, actor=context.actor,
                                comment=body.comment)
    return respond(request, decided)
