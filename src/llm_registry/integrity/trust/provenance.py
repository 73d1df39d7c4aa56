"""Provenance attached to a version: an in-toto statement (SLSA v1 or v0.2 provenance, or any
other predicate about how the bytes were made), alone or in a DSSE envelope.

Attaching refuses a statement about other bytes (``subject_mismatch``: none of its subjects is
the version digest, nor are the version's files all among them), a malformed one
(``invalid_provenance``), and an envelope whose signature names a signer but does not verify
(``invalid_signature``) or names a revoked one (``signer_revoked``); an envelope by a key no
signer has is attached without a signer. Its materials are checked, not required: each pinned dependency of the
version should be among them with its digest (SLSA v1 ``buildDefinition.resolvedDependencies``,
v0.2 ``materials``); each one missing or there with another digest is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.models import VersionDocument
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.access import Actor
from llm_registry.domain.digests import digest_of
from llm_registry.domain.ids import new_id
from llm_registry.domain.references import Reference, parse_reference
from llm_registry.errors import ValidationError
from llm_registry.events.models import EventType
from llm_registry.integrity.trust.dsse import Envelope, read_envelope
from llm_registry.integrity.trust.interfaces import ProvenanceRow, SignerRow, TrustReader, TrustStore
from llm_registry.integrity.trust.models import MaterialCheck, Provenance, ProvenanceCheck
from llm_registry.integrity.trust.signatures import identify_signer, payload_field
from llm_registry.integrity.trust.statements import FORMATS, Statement, file_digests, parse_statement

CODE = "invalid_provenance"


def read_provenance(data: Mapping[str, Any]) -> tuple[Statement, Envelope | None]:
    """The statement of ``data`` (a statement, a DSSE envelope or a Sigstore bundle); raises
    ValidationError (``invalid_provenance``, ``invalid_envelope``) naming the field."""
    if not isinstance(data, Mapping):
        raise ValidationError("expected an in-toto statement or a DSSE envelope (a JSON object)", code=CODE)
    envelope = read_envelope(data) if any(k in data for k in ("payload", "dsseEnvelope", "mediaType")) else None
    if envelope is not None:
        statement = parse_statement(envelope.payload, field=payload_field(envelope), code=CODE)
    else:
        statement = parse_statement(data, field="", code=CODE)
    if statement.predicate_type in FORMATS.values():
        raise ValidationError(
            "this statement is a signature, not provenance: attach it as a signature", code=CODE,
            field="predicateType",
        )
    return statement, envelope


def builder_of(statement: Statement) -> str | None:
    """The builder's id: SLSA v1 ``runDetails.builder.id``, v0.2 ``builder.id``."""
    predicate = statement.predicate
    for holder in (predicate.get("runDetails"), predicate):
        builder = holder.get("builder") if isinstance(holder, dict) else None
        if isinstance(builder, dict) and isinstance(builder.get("id"), str):
            return str(builder["id"])
    return None


def materials_of(statement: Statement) -> list[dict[str, Any]]:
    """The materials: SLSA v1 ``buildDefinition.resolvedDependencies``, v0.2 ``materials``."""
    definition = statement.predicate.get("buildDefinition")
    found = definition.get("resolvedDependencies") if isinstance(definition, dict) else None
    if found is None:
        found = statement.predicate.get("materials")
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def subject_problems(statement: Statement, version: VersionDocument) -> list[str]:
    """Why the statement is not about the version's bytes (empty: it is)."""
    digests = {digest for _, digest in statement.subjects if digest}
    version_hex = version.digest.removeprefix("sha256:")
    files = file_digests(version)
    if version_hex in digests or (files and set(files.values()) <= digests):
        return []
    if files:
        missing = sorted(path for path, digest in files.items() if digest not in digests)
        return [f"no subject is {version.digest} (the version), and the files {', '.join(missing[:5])}"
                f"{' …' if len(missing) > 5 else ''} are not among its subjects: the statement is about other bytes"]
    return [f"no subject is {version.digest}: the statement is about other bytes"]


def check_provenance(statement: Statement, version: VersionDocument, *, default_namespace: str) -> ProvenanceCheck:
    """The statement against the version: subjects, and each pinned dependency among the materials."""
    problems = subject_problems(statement, version)
    materials = materials_of(statement)
    by_digest = {_sha256(m) for m in materials} - {None}
    checks = []
    for pin in version.pins:
        hex_digest = pin.digest.removeprefix("sha256:")
        target = f"{pin.ref.partition('@')[0]}@{pin.version}"
        if hex_digest in by_digest:
            checks.append(MaterialCheck(ref=target, digest=pin.digest, status="ok", message="among the materials"))
            continue
        named = [m for m in materials if _names(m, pin.ref, default_namespace)]
        if named:
            other = _sha256(named[0])
            checks.append(MaterialCheck(
                ref=target, digest=pin.digest, status="mismatch",
                message=f"material {named[0].get('uri') or named[0].get('name')!r} has "
                        f"{'sha256:' + other if other else 'no sha256'}, the pin is {pin.digest}",
            ))
        else:
            checks.append(MaterialCheck(ref=target, digest=pin.digest, status="missing",
                                        message=f"no material has {pin.digest}"))
    ok = not problems and all(c.status == "ok" for c in checks)
    return ProvenanceCheck(ok=ok, subjects_ok=not problems, problems=problems, materials=checks)


def _sha256(material: Mapping[str, Any]) -> str | None:
    digest = material.get("digest")
    value = digest.get("sha256") if isinstance(digest, dict) else None
    return value.lower() if isinstance(value, str) else None


def _names(material: Mapping[str, Any], ref: str, default_namespace: str) -> bool:
    """Whether a material names the pinned asset (its ``namespace/name`` in its uri or name)."""
    try:
        name = str(parse_reference(ref, field="ref", default_namespace=default_namespace).name)
    except ValidationError:
        return False
    return any(isinstance(material.get(k), str) and name in material[k] for k in ("uri", "name"))


def provenance_of(
    row: ProvenanceRow, signer: SignerRow | None, version: VersionDocument, *, default_namespace: str
) -> Provenance:
    statement = parse_statement(row.statement, field="", code=CODE)
    return Provenance(
        id=row.id, ref=version.ref, predicate_type=row.predicate_type, builder=builder_of(statement),
        statement=row.statement, envelope=row.envelope, signer=signer.name if signer else None,
        created_at=row.created_at, created_by=row.created_by,
        check=check_provenance(statement, version, default_namespace=default_namespace),
    )


class ProvenanceService:
    def __init__(self, store: TrustStore, context: AssetContext) -> None:
        self.store = store
        self.context = context

    def attach(self, ref: str | Reference, data: Mapping[str, Any], *, actor: Actor) -> tuple[Provenance, bool]:
        """Attach a provenance statement to the version ``ref`` chooses: (it with its check,
        whether it was attached now; the same statement again changes nothing). Raises
        ValidationError (``invalid_provenance``, ``invalid_envelope``, ``subject_mismatch``),
        NotFoundError, ForbiddenError."""
        parsed = self.context.parse_reference(ref)
        now = self.context.now()
        with self.store.write() as tx:
            row = get_by_reference(tx.assets, parsed)
            self.context.authorize(actor, "assets:update", namespace=row.namespace, owner=row.created_by)
            statement, envelope = read_provenance(data)
            version = documents.to_document(row)
            problems = subject_problems(statement, version)
            if problems:
                raise ValidationError(
                    f"the provenance is not about the bytes of {version.ref}: " + "; ".join(problems),
                    code="subject_mismatch", field=payload_field(envelope) if envelope else "subject",
                    details={"problems": problems},
                )
            signer = _trusted_signer(tx, envelope)
            digest = digest_of(statement.raw)
            existing = tx.find_provenance(row.id, digest)
            if existing is not None:
                return provenance_of(existing, _signer_by_id(tx, existing.signer_id), version,
                                     default_namespace=self.context.default_namespace), False
            stored = ProvenanceRow(
                new_id(), row.id, digest, statement.predicate_type, statement.raw,
                envelope.to_json() if envelope else None, signer.id if signer else None, now, actor.name,
            )
            tx.insert_provenance(stored)
            answer = provenance_of(stored, signer, version, default_namespace=self.context.default_namespace)
            tx.append_event(
                type=EventType.PROVENANCE_ATTACHED, subject=version.ref, asset=parsed.asset, actor=actor.name,
                at=now, payload={"provenance": stored.id, "predicate_type": statement.predicate_type,
                                 "builder": answer.builder, "signer": answer.signer, "ok": answer.check.ok},
            )
        return answer, True

    def list_provenance(self, ref: str | Reference) -> list[Provenance]:
        """The provenance attached to the version ``ref`` chooses, oldest first, each with its check."""
        parsed = self.context.parse_reference(ref)
        with self.store.read() as tx:
            version = documents.to_document(get_by_reference(tx.assets, parsed))
            rows = tx.list_provenance(version.id)
            signers = {s.id: s for s in tx.list_signers()} if any(r.signer_id for r in rows) else {}
        namespace = self.context.default_namespace
        return [provenance_of(r, signers.get(r.signer_id or ""), version, default_namespace=namespace) for r in rows]


def _trusted_signer(tx: TrustReader, envelope: Envelope | None) -> SignerRow | None:
    """The trusted signer whose key verifies the envelope, or None (no envelope, or a key no
    signer has). An envelope that names a signer but does not verify with its key (a changed
    payload), or a revoked signer's, is refused as a signature would be."""
    if envelope is None:
        return None
    try:
        return identify_signer(tx, envelope)
    except ValidationError as error:
        if error.code == "unknown_signer":
            return None
        raise


def _signer_by_id(tx: TrustReader, signer_id: str | None) -> SignerRow | None:
    if signer_id is None:
        return None
    return next((s for s in tx.list_signers() if s.id == signer_id), None)
