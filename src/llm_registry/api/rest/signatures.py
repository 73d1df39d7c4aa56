"""Signatures of a version (``…/versions/{version}/signatures``) and its verification report
(``…/versions/{version}/verification``)."""

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
from llm_registry.integrity.trust.models import Signature, VerificationReport
from llm_registry.integrity.trust.services import TrustService

router = APIRouter(route_class=RegistryRoute, tags=["signatures"])
SIGNATURES_PATH = "/v1/{kinds}/{namespace}/{name}/versions/{version}/signatures"
EnvelopeBody = Annotated[dict[str, Any], Body(
    description="A DSSE envelope `{payload, payloadType, signatures: [{keyid, sig}]}` (one signature) over an "
                "in-toto Statement, or a Sigstore bundle `{mediaType, verificationMaterial, dsseEnvelope}` around "
                "one, such as OpenSSF model signing writes",
)]


@router.get(SIGNATURES_PATH, response_model=Page[Signature], responses=responses.READ, name="list_signatures")
async def list_signatures(
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
    """The version's signatures, oldest first (those of revoked signers too, with `signer_revoked_at`)."""
    ref = version_reference(kinds, namespace, name, version)
    items, next_cursor = slice_page(await run_read(request, trust.signatures.list_signatures, ref), cursor, limit)
    return respond(request, Page[Signature](items=items, next_cursor=next_cursor))


@router.post(
    SIGNATURES_PATH, status_code=201, response_model=Signature, name="add_signature",
    responses={200: {"model": Signature, "description": "The same envelope was attached already"},
               **responses.WRITE},
)
async def add_signature(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    envelope: EnvelopeBody,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """Attach a signature: 201, or 200 when the same envelope is attached already. 422 when the key is
    no trusted signer's (`unknown_signer`, `signer_revoked`), the signature does not verify
    (`invalid_signature`), or the statement is about other bytes (`subject_mismatch`)."""
    ref = version_reference(kinds, namespace, name, version)
    signature, created = await run_service(request, trust.signatures.add_signature, ref, envelope,
                                           actor=context.actor)
    return respond(request, signature, status_code=201 if created else 200)


@router.get(
    "/v1/{kinds}/{namespace}/{name}/versions/{version}/verification", response_model=VerificationReport,
    responses=responses.READ, name="verify_version",
)
async def verify_version(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    context: RequestContext = Depends(get_context),
    trust: TrustService = Depends(get_trust),
) -> Response:
    """What the registry can check of the version: its digest against its declared files, each signature,
    each attached provenance, the trust policy. `ok` is false when a check failed."""
    ref = version_reference(kinds, namespace, name, version)
    return respond(request, await run_read(request, trust.verification.verify, ref))
