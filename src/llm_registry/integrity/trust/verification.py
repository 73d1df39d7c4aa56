"""What ``verify REF`` checks where the registry is: that the version digest is the digest of its
declared files, that the stored files are there (when a blob store is given), each signature
(trusted, unrevoked signer; verifying; about these bytes), each attached provenance, and the
trust policy. Local files are checked by the client (``local_files``) and join the same report."""

from __future__ import annotations

from collections.abc import Callable

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext
from llm_registry.assets.models import VersionDocument
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.digests import digest_of
from llm_registry.domain.references import Reference
from llm_registry.integrity.interfaces import BlobStore
from llm_registry.integrity.trust.interfaces import TrustStore
from llm_registry.integrity.trust.models import Check, CheckStatus, VerificationReport
from llm_registry.integrity.trust.policy import TrustMode, TrustPolicy
from llm_registry.integrity.trust.provenance import provenance_of
from llm_registry.integrity.trust.signatures import SignatureService

OK, FAILED, WARNING = CheckStatus.OK, CheckStatus.FAILED, CheckStatus.WARNING


def digest_check(version: VersionDocument) -> Check:
    """The version digest against its declared files (the digest of their canonical list)."""
    files = version.content.files if version.content is not None and version.content.files else []
    if not files:
        what = "the content's claimed digest" if version.content and version.content.digest else "the document's"
        return Check(check="digest", subject=version.digest, status=OK,
                     message=f"{what} (no file list to recompute it from)")
    computed = digest_of(sorted(({"path": f.path, "digest": f.digest, "size": f.size} for f in files),
                                key=lambda f: str(f["path"])))
    if computed != version.digest:
        return Check(check="digest", subject=version.digest, status=FAILED,
                     message=f"the declared files digest to {computed}, not to the version digest")
    return Check(check="digest", subject=version.digest, status=OK,
                 message=f"the digest of its {len(files)} declared file(s)")


def stored_files_check(version: VersionDocument, blobs: BlobStore) -> list[Check]:
    """Each declared file in the blob store, whole (its size as declared). A version none of whose
    files were pushed keeps its bytes elsewhere (``content.uri``, or wherever its digests were
    claimed for): a warning, not a failure; some files pushed and others missing is a failure."""
    files = version.content.files if version.content is not None and version.content.files else []
    missing, wrong = [], []
    for entry in files:
        info = blobs.stat(entry.digest)
        if info is None:
            missing.append(f"{entry.path} ({entry.digest}) is not stored")
        elif info.size != entry.size:
            wrong.append(f"{entry.path} is stored with {info.size} bytes, declared {entry.size}")
    stored = len(files) - len(missing) - len(wrong)
    if not stored and not wrong:
        return [Check(check="stored", subject="blobs", status=WARNING,
                      message=f"none of the {len(files)} declared file(s) is in this registry's blob store"
                              " (the bytes are kept elsewhere; only their claimed digests are known)")]
    problems = wrong + missing
    checks = [Check(check="stored", subject=problem.partition(" ")[0], status=FAILED, message=problem)
              for problem in problems[:10]]
    checks.append(Check(check="stored", subject="blobs", status=FAILED if problems else OK,
                        message=f"{stored} of {len(files)} declared file(s) stored"))
    return checks


class VerificationService:
    def __init__(self, store: TrustStore, context: AssetContext, signatures: SignatureService, policy: TrustPolicy,
                 blobs: Callable[[], BlobStore | None] | None = None) -> None:
        self.store = store
        self.context = context
        self.signatures = signatures
        self.policy = policy
        self.blobs = blobs

    def verify(self, ref: str | Reference) -> VerificationReport:
        """Every check the registry can make about the version ``ref`` chooses."""
        parsed = self.context.parse_reference(ref)
        with self.store.read() as tx:
            version = documents.to_document(get_by_reference(tx.assets, parsed))
            standings = self.signatures.standings(tx, version)
            attached = tx.list_provenance(version.id)
            signers = {s.id: s for s in tx.list_signers()} if any(p.signer_id for p in attached) else {}
        checks = [digest_check(version)]
        stored = self.blobs() if self.blobs is not None else None
        if stored is not None and version.content is not None and version.content.files:
            checks += stored_files_check(version, stored)
        for standing in standings:
            checks.append(Check(check="signature", subject=standing.signature.signer,
                                status=OK if standing.counts else FAILED, message=standing.message))
        rule = self.policy.rule_for(version.kind, version.name)
        mode = rule.mode if rule is not None else TrustMode.OFF
        if not standings:
            status = FAILED if mode is TrustMode.ENFORCE else WARNING
            checks.append(Check(check="signature", subject="-", status=status, message="the version has no signature"))
        for row in attached:
            record = provenance_of(row, signers.get(row.signer_id or ""), version,
                                   default_namespace=self.context.default_namespace)
            problems = record.check.problems + [f"{m.ref}: {m.status}: {m.message}" for m in record.check.materials
                                                if m.status != "ok"]
            detail = f"{record.predicate_type} by {record.builder or 'an unnamed builder'}"
            checks.append(Check(
                check="provenance", subject=record.id, status=OK if record.check.ok else FAILED,
                message=detail + (": " + "; ".join(problems) if problems else
                                  f": about these bytes, {len(record.check.materials)} pinned dependency(ies) "
                                  "among its materials"),
            ))
        trusted = any(s.counts for s in standings)
        if mode is TrustMode.OFF:
            checks.append(Check(check="policy", subject=str(rule) if rule else "-", status=OK,
                                message="the trust policy asks nothing of this version"))
        else:
            status = OK if trusted else (FAILED if mode is TrustMode.ENFORCE else WARNING)
            met = "met: a trusted signer signed it" if trusted else "not met: no valid signature by a trusted signer"
            checks.append(Check(check="policy", subject=str(rule), status=status, message=f"{mode.value} {met}"))
        return VerificationReport.of(version.ref, version.digest, checks)
