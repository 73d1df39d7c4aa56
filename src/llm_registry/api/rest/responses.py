"""The ``responses`` each kind of route declares in the OpenAPI document, beyond those every
route gets (``openapi.complete``: 422, 503, access and rate-limit refusals, 304, 413/415)."""

from __future__ import annotations

from typing import Any

from llm_registry.api.rest.errors import PROBLEM_MEDIA_TYPE

Responses = dict[int | str, dict[str, Any]]
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}


def problem(description: str, *, headers: tuple[str, ...] = ()) -> dict[str, Any]:
    """A problem+json answer described as ``description`` (with these headers of the document's components)."""
    answer: dict[str, Any] = {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
    if headers:
        answer["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers}
    return answer


NOT_FOUND: Responses = {404: problem("Not found (`asset_not_found`, `version_not_found`, `alias_not_found`, …)")}
CONFLICT: Responses = {409: problem("Conflict with the current state (`version_conflict`, `has_dependents`, "
                                    "`invalid_status_change`, `concurrent_write`, …)")}
# A change the policies in force may hold for an approval (register, labels, status, alias, delete).
APPROVAL: Responses = {
    202: problem("A policy rule requires an approval (`approval_required`): nothing changed yet; the request "
                 "waits as `details.approval_id` (`Location`: /v1/approvals/{id}) and is carried out when approved"),
}
READ: Responses = {**NOT_FOUND}
WRITE: Responses = {**NOT_FOUND, **CONFLICT}
DELETE: Responses = {**NOT_FOUND, **CONFLICT}
GOVERNED_WRITE: Responses = {**WRITE, **APPROVAL}
GOVERNED_DELETE: Responses = {**DELETE, **APPROVAL}
BODY: Responses = {**NOT_FOUND}
