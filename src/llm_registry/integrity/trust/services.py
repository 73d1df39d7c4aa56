"""The trust services of one registry, and the gate pull and alias moves ask.

``TrustService`` holds signers, signatures, provenance and verification over one store, and
implements ``integrity.interfaces.TrustGate``: for a version whose kind and namespace the trust
policy puts under ``enforce``, a version without a valid signature by a trusted, unrevoked signer
is refused (PolicyDeniedError ``unsigned`` or ``untrusted_signature``); under ``warn`` the same
reason is answered as a warning; under ``off`` nothing is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llm_registry.assets.context import AssetContext
from llm_registry.assets.models import VersionDocument
from llm_registry.errors import PolicyDeniedError
from llm_registry.integrity.interfaces import BlobStore
from llm_registry.integrity.trust.interfaces import TrustStore
from llm_registry.integrity.trust.policy import TrustMode, TrustPolicy
from llm_registry.integrity.trust.provenance import ProvenanceService
from llm_registry.integrity.trust.signatures import SignatureService
from llm_registry.integrity.trust.signers import SignerService
from llm_registry.integrity.trust.verification import VerificationService

_OPERATIONS = {"pull": "a pull", "move_alias": "an alias move"}


@dataclass(frozen=True, slots=True)
class TrustService:
    store: TrustStore
    policy: TrustPolicy
    signers: SignerService
    signatures: SignatureService
    provenance: ProvenanceService
    verification: VerificationService

    @classmethod
    def build(
        cls, store: TrustStore, context: AssetContext, *, policy: TrustPolicy,
        blobs: Callable[[], BlobStore | None] | None = None,
    ) -> TrustService:
        """The services over ``store``; ``blobs`` (the blob store, None where there is none) lets
        ``verify`` check that the version's files are stored."""
        signatures = SignatureService(store, context)
        return cls(
            store=store, policy=policy, signers=SignerService(store, context), signatures=signatures,
            provenance=ProvenanceService(store, context),
            verification=VerificationService(store, context, signatures, policy, blobs),
        )

    def check(self, version: VersionDocument, *, operation: str) -> list[str]:
        """Warnings about ``version`` for ``operation`` (``pull``, ``move_alias``); raises
        PolicyDeniedError (``unsigned``, ``untrusted_signature``) where the policy enforces."""
        rule = self.policy.rule_for(version.kind, version.name)
        if rule is None or rule.mode is TrustMode.OFF:
            return []
        with self.store.read() as tx:
            standings = self.signatures.standings(tx, version)
        if any(s.counts for s in standings):
            return []
        if standings:
            code = "untrusted_signature"
            reasons = "; ".join(f"{s.signature.signer}: {s.message}" for s in standings)
            why = f"has no valid signature by a trusted signer ({reasons})"
        else:
            code, why = "unsigned", "has no signature"
        doing = _OPERATIONS.get(operation, operation)
        if rule.mode is TrustMode.ENFORCE:
            raise PolicyDeniedError(
                f"{version.ref} {why}: the trust policy ({rule}) requires a valid signature by a trusted signer "
                f"for {doing}",
                code=code, details={"rule": str(rule), "operation": operation},
            )
        return [f"{version.ref} {why} (trust policy {rule})"]
