"""One small error hierarchy, mapped once per transport.

Every error carries a stable ``code`` (a string clients may branch on), a human
``message`` and, when one input is to blame, the ``field`` (a JSON path such as
``spec.parameters`` or ``dependencies[1].ref``). Each class knows its HTTP status
and gRPC code so that transports map errors in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ERROR_CODES",
    "ApprovalRequiredError",
    "ConcurrentWriteError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "PolicyDeniedError",
    "RateLimitedError",
    "RegistryError",
    "StorageError",
    "UnauthenticatedError",
    "ValidationError",
    "error_class_for_code",
]


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    default_code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    grpc_code: ClassVar[str] = "INTERNAL"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if self.code not in ERROR_CODES:  # a code must be declared (and so documented)
            raise KeyError(f"undeclared error code {self.code!r}")
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The error as ``{"code", "message", "field"}`` (plus details when present)."""
        out: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            out["details"] = self.details
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"


class ValidationError(RegistryError):
    """The input is malformed or breaks a rule; nothing was written."""

    default_code = "validation_error"
    http_status = 422
    grpc_code = "INVALID_ARGUMENT"
    title = "Invalid input"


class NotFoundError(RegistryError):
    """What was asked for does not exist."""

    default_code = "not_found"
    http_status = 404
    grpc_code = "NOT_FOUND"
    title = "Not found"


class ConflictError(RegistryError):
    """The request conflicts with the current state (already exists, still in use, …)."""

    default_code = "conflict"
    http_status = 409
    grpc_code = "ALREADY_EXISTS"
    title = "Conflict"


class ConcurrentWriteError(ConflictError):
    """Another writer changed the same rows at the same moment; nothing was written, and
    the operation may be tried again."""

    default_code = "concurrent_write"
    grpc_code = "ABORTED"


class PolicyDeniedError(RegistryError):
    """A policy rule denied the operation."""

    default_code = "policy_denied"
    http_status = 403
    grpc_code = "PERMISSION_DENIED"
    title = "Denied by policy"


class ApprovalRequiredError(RegistryError):
    """A policy rule asks for an approval: nothing changed yet, an approval request was made
    (``details.approval_id``), and the change happens when someone allowed approves it. Not a
    failure (HTTP 202 Accepted), but a caller that expected the change must not go on as if it
    had happened."""

    default_code = "approval_required"
    http_status = 202
    grpc_code = "FAILED_PRECONDITION"
    title = "Approval required"


class UnauthenticatedError(RegistryError):
    """No valid identity was presented."""

    default_code = "unauthenticated"
    http_status = 401
    grpc_code = "UNAUTHENTICATED"
    title = "Authentication required"


class ForbiddenError(RegistryError):
    """The identity is known but not allowed to do this."""

    default_code = "forbidden"
    http_status = 403
    grpc_code = "PERMISSION_DENIED"
    title = "Forbidden"


class RateLimitedError(RegistryError):
    """Too many requests; ``retry_after`` says how many seconds to wait."""

    default_code = "rate_limited"
    http_status = 429
    grpc_code = "RESOURCE_EXHAUSTED"
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after


class StorageError(RegistryError):
    """The store cannot serve the request (unreachable, schema out of date, …)."""

    default_code = "storage_unavailable"
    http_status = 503
    grpc_code = "UNAVAILABLE"
    title = "Storage unavailable"


# Every code the registry can answer with: code -> (class, what it means). Documented in
# docs/errors.md; a test fails when one is missing there.
ERROR_CODES: dict[str, tuple[type[RegistryError], str]] = {
    "internal_error": (RegistryError, "An unexpected fault; the request had no effect."),
    # validation
    "validation_error": (ValidationError, "The input is invalid."),
    "invalid_kind": (ValidationError, "The kind is not one of the six asset kinds."),
    "invalid_name": (ValidationError, "An asset name or namespace breaks the naming rules."),
    "invalid_version": (ValidationError, "A version is not SemVer 2.0.0."),
    "invalid_range": (ValidationError, "A version range does not parse."),
    "invalid_reference": (ValidationError, "A reference does not parse."),
    "invalid_alias": (ValidationError, "An alias name breaks the naming rules."),
    "invalid_digest": (ValidationError, "A digest is not `sha256:` and 64 hex digits (or at least the first 12)."),
    "ambiguous_reference": (ValidationError, "A digest prefix is the start of several digests; give more of it."),
    "invalid_spec": (ValidationError, "The spec does not match its kind's schema."),
    "invalid_manifest": (ValidationError, "The version document is malformed or has wrong types."),
    "unknown_field": (ValidationError, "The version document has a field the registry does not know."),
    "invalid_template": (ValidationError, "A prompt template does not parse or uses undeclared variables."),
    "invalid_variables": (ValidationError, "Variables given to render do not match the prompt's schema."),
    "invalid_cursor": (ValidationError, "A pagination cursor is malformed."),
    "invalid_parameter": (ValidationError, "A parameter of the request is invalid."),
    "invalid_filter": (ValidationError, "A search filter expression does not parse."),
    "dependency_cycle": (ValidationError, "The registration would make the asset graph cyclic."),
    "not_a_prompt": (ValidationError, "Rendering was asked of an asset that is not a prompt."),
    # not found
    "not_found": (NotFoundError, "The resource does not exist."),
    "asset_not_found": (NotFoundError, "No asset has that kind and name."),
    "version_not_found": (NotFoundError, "No version matches the reference."),
    "alias_not_found": (NotFoundError, "The asset has no such alias."),
    "dependency_not_found": (NotFoundError, "A declared dependency matches no registered version."),
    "event_not_found": (NotFoundError, "No event has that cursor."),
    # conflict
    "conflict": (ConflictError, "The request conflicts with the current state."),
    "version_conflict": (ConflictError, "The version exists with different immutable fields."),
    "has_dependents": (ConflictError, "Other versions depend on this one."),
    "invalid_status_change": (ConflictError, "The status change is not allowed from the current status."),
    "precondition_failed": (ConflictError, "The resource is not as the request's precondition (If-Match) expected."),
    "concurrent_write": (ConcurrentWriteError, "Another write changed the same data at the same moment; retry."),
    # access
    "policy_denied": (PolicyDeniedError, "A policy rule denied the operation."),
    # governance
    "invalid_expression": (ValidationError, "A policy rule's CEL expression does not compile or reads unknown names."),
    "policy_lockout": (
        ValidationError, "Activating the policy would stop every admin from changing policies; activate it with force."
    ),
    "approval_required": (
        ApprovalRequiredError, "A policy rule requires an approval; the request waits (`details.approval_id`)."
    ),
    "approval_not_found": (NotFoundError, "No approval request has that id."),
    "approval_decided": (ConflictError, "The approval request was already approved or rejected."),
    "approval_not_applicable": (
        ConflictError, "The approved change no longer applies (the version changed meanwhile); nothing changed."
    ),
    "self_approval": (ForbiddenError, "The requester of a change cannot approve or reject it."),
    "evaluation_not_found": (NotFoundError, "No evaluation has that id."),
    "unauthenticated": (UnauthenticatedError, "No valid credentials were presented."),
    "forbidden": (ForbiddenError, "The identity lacks the permission."),
    "rate_limited": (RateLimitedError, "Too many requests; retry after the given delay."),
    # storage
    "storage_unavailable": (StorageError, "The database cannot be reached."),
    "schema_outdated": (StorageError, "The database schema is older than this release; run `llm-registry db upgrade`."),
    "schema_newer": (StorageError, "The database schema is newer than this release; upgrade llm-registry."),
    "migration_failed": (StorageError, "A schema migration found inconsistent data and changed nothing."),
    # integrity: blobs
    "blob_not_found": (NotFoundError, "No blob with that digest is stored."),
    "upload_not_found": (NotFoundError, "No upload session has that id (it finished, was cancelled or expired)."),
    "digest_mismatch": (ValidationError, "The bytes do not have the digest or size claimed; nothing was kept."),
    "invalid_offset": (ConflictError, "A chunk does not start where the upload stands; `details.offset` says where."),
    "no_files": (ValidationError, "The version declares no files (`content.files`) to pull."),
    "blob_store_unavailable": (StorageError, "The blob store cannot be reached or refused the request."),
    # integrity: signatures
    "invalid_key": (ValidationError, "A key is not a PEM Ed25519 or ECDSA (P-256, P-384, P-521) key."),
    "invalid_envelope": (ValidationError, "A DSSE envelope or Sigstore bundle is malformed."),
    "invalid_statement": (ValidationError, "A signed payload is not an in-toto Statement."),
    "invalid_signature": (ValidationError, "A signature does not verify with its signer's key (a changed payload)."),
    "unknown_signer": (ValidationError, "No trusted signer's key made the signature."),
    "signer_revoked": (ValidationError, "The signature is by a revoked signer."),
    "subject_mismatch": (ValidationError, "A signed or provenance statement is about other bytes than the version's."),
    "invalid_provenance": (ValidationError, "A provenance statement is malformed."),
    "signer_not_found": (NotFoundError, "No signer has that name."),
    "signer_exists": (ConflictError, "The signer's name or key is another signer's."),
    "unsigned": (PolicyDeniedError, "The trust policy requires a signature and the version has none."),
    "untrusted_signature": (
        PolicyDeniedError, "The trust policy requires a valid signature by a trusted signer; none of the version's is."
    ),
}


def error_class_for_code(code: str) -> type[RegistryError]:
    """The class of a declared code (``RegistryError`` for an unknown one)."""
    entry = ERROR_CODES.get(code)
    return entry[0] if entry else RegistryError
