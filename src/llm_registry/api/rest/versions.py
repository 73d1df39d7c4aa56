"""Versions of an asset: list, read (as of a time), change labels and status, delete, label history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read, run_service
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import (
    DEFAULT_LIMIT,
    CursorQuery,
    KindsPath,
    LimitQuery,
    NamePath,
    NamespacePath,
    TimeQuery,
    VersionPath,
    asset_reference,
    version_reference,
)
from llm_registry.assets.changes import LabelChanges
from llm_registry.assets.models import LabelRevision, Status, VersionDocument, VersionSummary
from llm_registry.domain.pages import Page
from llm_registry.errors import ValidationError
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["versions"])
VERSION_PATH = "/v1/{kinds:collection}/{namespace}/{name}/versions/{version}"


class LabelPatch(BaseModel):
    """Label changes as a JSON Merge Patch (RFC 7396) of the labels: a field left out stays as it
    is; ``null`` removes it (``""`` too clears description or license); ``tags`` replaces the
    list; ``annotations`` merges key by key, a key set to ``null`` being removed (and
    ``"annotations": null`` removing them all). ``add_tags``/``remove_tags`` add to and take from
    the list."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    license: str | None = None
    card: str | None = None
    tags: list[str] | None = Field(default=None, max_length=64)
    add_tags: list[str] = Field(default_factory=list, max_length=64)
    remove_tags: list[str] = Field(default_factory=list, max_length=64)
    annotations: dict[str, str | None] | None = Field(default_factory=dict)

    def changes(self) -> LabelChanges:
        """The label changes this patch asks for."""
        given = self.model_fields_set
        return LabelChanges(
            description=(self.description or "") if "description" in given else None,
            license=(self.license or "") if "license" in given else None,
            card=(self.card or "") if "card" in given else None,
            tags=tuple(self.tags or ()) if "tags" in given else None,
            add_tags=tuple(self.add_tags),
            remove_tags=tuple(self.remove_tags),
            annotations=dict(self.annotations or {}),
            clear_annotations="annotations" in given and self.annotations is None,
        )


class VersionPatch(BaseModel):
    """Either label changes, or a status change (``deprecated`` with message and replacement,
    ``yanked`` with a reason, ``active`` to restore): one kind of change per request."""

    model_config = ConfigDict(extra="forbid")

    labels: LabelPatch | None = None
    status: Status | None = None
    message: str | None = Field(default=None, max_length=4096)
    replacement: str | None = Field(default=None, max_length=512)
    reason: str | None = Field(default=None, max_length=4096)


@router.get("/v1/{kinds:collection}/{namespace}/{name}/versions", response_model=Page[VersionSummary],
            responses=responses.READ, name="list_versions")
async def list_versions(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """The asset's versions, highest SemVer precedence first."""
    page = await run_read(request, services.catalog.list_versions, asset_reference(kinds, namespace, name),
                          cursor=cursor, limit=limit)
    return respond(request, page)


@router.get(VERSION_PATH, response_model=VersionDocument, responses=responses.READ, name="get_version")
async def get_version(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    as_of: TimeQuery = None,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """One version document."""
    ref = version_reference(kinds, namespace, name, version)
    return respond(request, await run_read(request, services.catalog.get, ref, as_of=as_of))


@router.patch(VERSION_PATH, response_model=VersionDocument, responses=responses.GOVERNED_WRITE, name="update_version")
async def update_version(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    patch: VersionPatch,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Change labels (a new revision), or the status: deprecate, yank, restore."""
    ref = version_reference(kinds, namespace, name, version)
    actor = context.actor
    _check_patch(patch)
    if patch.labels is not None:
        changes = patch.labels.changes()
        document = await run_service(request, services.changes.update_labels, ref, changes, actor=actor)
    elif patch.status is Status.DEPRECATED:
        document = await run_service(request, services.changes.deprecate, ref, message=patch.message,
                                     replacement=patch.replacement, actor=actor)
    elif patch.status is Status.YANKED:
        reason = patch.reason if patch.reason is not None else patch.message
        document = await run_service(request, services.changes.yank, ref, reason=reason, actor=actor)
    elif patch.status is Status.ACTIVE:
        document = await run_service(request, services.changes.restore, ref, actor=actor)
    else:
        document = await run_read(request, services.catalog.get, ref)
    return respond(request, document)


def _check_patch(patch: VersionPatch) -> None:
    # Labels and status change in separate transactions in the service: refusing both in
    # one request keeps a PATCH all-or-nothing.
    if patch.labels is not None and patch.status is not None:
        raise ValidationError("change labels and status in separate requests", code="invalid_parameter",
                              field="status")
    if patch.status is None:
        for field in ("message", "replacement", "reason"):
            if getattr(patch, field) is not None:
                raise ValidationError(f"{field} goes with a status change", code="invalid_parameter", field=field)
    if patch.replacement is not None and patch.status is not Status.DEPRECATED:
        raise ValidationError("replacement goes with status 'deprecated'", code="invalid_parameter",
                              field="replacement")
    if patch.reason is not None and patch.status is not Status.YANKED:
        raise ValidationError("reason goes with status 'yanked'", code="invalid_parameter", field="reason")
    if patch.message is not None and patch.status is Status.ACTIVE:
        raise ValidationError("restoring takes no message", code="invalid_parameter", field="message")


@router.delete(VERSION_PATH, response_model=VersionDocument, responses=responses.GOVERNED_DELETE, name="delete_version")
async def delete_version(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    force: Annotated[bool, Query(description="Delete even though other versions pin this one")] = False,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Delete a version (409 ``has_dependents`` while others pin it, unless forced); answers what was deleted."""
    ref = version_reference(kinds, namespace, name, version)
    document = await run_service(request, services.changes.delete, ref, force=force, actor=context.actor)
    return respond(request, document)


@router.get(VERSION_PATH + "/history", response_model=Page[LabelRevision], responses=responses.READ,
            name="list_label_history")
async def list_label_history(
    request: Request,
    kinds: KindsPath,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Every label revision of the version, oldest first."""
    ref = version_reference(kinds, namespace, name, version)
    page = await run_read(request, services.catalog.list_label_history, ref, cursor=cursor, limit=limit)
    return respond(request, page)
