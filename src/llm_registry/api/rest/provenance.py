"""Provenance attached to a version (``…/versions/{version}/provenance``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import (
    DEFAULT_LIMIT,
    CursorQuery,
    KindsPath,
    LimitQuery,
    NamePath,
    NamespacePath,
    VersionPath,
    slice_page,
    version_reference,
)
from llm_registry.api.rest.trust import get_trust
from llm_registry.domain.pages import Page
from llm_registry.integrity.trust.models import Provenance
from llm_registry.integrity.trust.services import TrustService

router = APIRouter(route_class=RegistryRoute, tags=["provenance"])
PROVENANCE_PATH = "/v1/{kinds}/{namespace}/{name}/versions/{version}/provenance"
StatementBody = Annotated[dict[str, Any], Body(
    description="An in-toto Statement (SLSA v1 or v0.2 provenance) about the version's bytes, or a DSSE envelope "
                "(or Sigstore bundle) around one",
)]


@router.get(PROVENANCE_PATH, response_model=Page[Provenance], responses=responses.READ, name="list_provenance")
async def list_provenance(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """The provenance attached to the version, oldest first, each with its check against the version."""
    ref = version_reference(kinds, namespace, name, version)
    items, next_cursor = slice_page(await run_read(request, trust.provenance.list_provenance, ref), cursor, limit)
    return respond(request, Page[Provenance](items=items, next_cursor=next_cursor))


@router.post(
    PROVENANCE_PATH, status_code=201, response_model=Provenance, name="attach_provenance",
    responses={200: {"model": Provenance, "description": "The same statement was attached already"},
               **responses.WRITE},
)
async def attach_provenance(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    statement: StatementBody,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """Attach provenance: 201 (200 when already attached), with its check (materials missing or with other
    digests are reported, not refused); 422 `subject_mismatch` when it is about other bytes."""
    ref = version_reference(kinds, namespace, name, version)
    record, created = await run_service(request, trust.provenance.attach, ref, statement, actor=context.actor)
    return respond(request, record, status_code=201 if created else 200)
