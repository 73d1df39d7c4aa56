"""Trusted signers (``/v1/signers``): anyone who reads may list them; adding and revoking needs
``signers:manage``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import rule
from llm_registry.api.rest.trust import get_trust
from llm_registry.domain import patterns
from llm_registry.domain.pages import Page
from llm_registry.integrity.trust.models import Signer
from llm_registry.integrity.trust.services import TrustService

router = APIRouter(route_class=RegistryRoute, tags=["signers"])
# The pattern is stated, not enforced here: the service answers its own 422 ``invalid_name``.
SignerPath = Annotated[str, Path(max_length=64, description="The signer's name",
                                 json_schema_extra=rule(patterns.SIGNER))]


class NewSigner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, description="lowercase letters, digits and . _ -")
    public_key: str = Field(max_length=16_384, description="PEM public key: Ed25519, or ECDSA on P-256, P-384, P-521")


@router.get("/v1/signers", response_model=Page[Signer], responses=responses.READ, name="list_signers")
async def list_signers(
    request: Request,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """Every signer by name, revoked ones too (with `revoked_at`)."""
    signers = await run_read(request, trust.signers.list_signers)
    return respond(request, Page[Signer](items=signers, next_cursor=None))


@router.post(
    "/v1/signers", status_code=201, response_model=Signer, name="add_signer",
    responses={200: {"model": Signer, "description": "The signer exists with this key already"},
               **responses.WRITE},
)
async def add_signer(
    request: Request,
    body: NewSigner,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """Trust a public key under a name: 201 (200 when it is so already); 409 `signer_exists` when the name
    or the key is another signer's; 422 `invalid_key`."""
    signer, created = await run_service(request, trust.signers.add_signer, body.name, body.public_key,
                                        actor=context.actor)
    return respond(request, signer, status_code=201 if created else 200)


@router.get("/v1/signers/{signer}", response_model=Signer, responses=responses.READ, name="get_signer")
async def get_signer(
    request: Request,
    signer: SignerPath,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """One signer (404 `signer_not_found`)."""
    return respond(request, await run_read(request, trust.signers.get_signer, signer))


@router.delete("/v1/signers/{signer}", response_model=Signer, responses=responses.DELETE, name="revoke_signer")
async def revoke_signer(
    request: Request,
    signer: SignerPath,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """Revoke a signer (kept, with `revoked_at`): its signatures stop counting at once."""
    return respond(request, await run_service(request, trust.signers.revoke_signer, signer, actor=context.actor))
