"""Every service of one registry, built once (``bootstrap.build_services``) over one store.

Transports hold a ``Services`` and call into it; they never build a service themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llm_registry.assets.aliases import AliasService
from llm_registry.assets.batch import BatchRegistration
from llm_registry.assets.changes import ChangeService
from llm_registry.assets.context import AssetContext
from llm_registry.assets.reads import CatalogService
from llm_registry.assets.registration import RegistrationService
from llm_registry.events.services import EventService
from llm_registry.integrity.blobs import BlobService
from llm_registry.lineage.services import LineageService
from llm_registry.search.services import SearchService

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService
    from llm_registry.assets.store_sql import SqlAssetStore
    from llm_registry.governance.approvals import ApprovalService
    from llm_registry.governance.evaluations import EvaluationService
    from llm_registry.governance.services import PolicyService
    from llm_registry.integrity.trust.services import TrustService


@dataclass
class Services:
    store: SqlAssetStore
    context: AssetContext
    catalog: CatalogService
    registration: RegistrationService
    batch: BatchRegistration
    changes: ChangeService
    aliases: AliasService
    events: EventService
    search: SearchService
    lineage: LineageService
    blobs: BlobService
    # Users, sessions and keys: built for servers and account commands (``with_accounts``).
    accounts: AccountService | None = None
    # Signers, signatures, provenance, and the trust gate of pulls and alias moves.
    trust: TrustService | None = None
    # The policies in force and their dry runs; approval requests (built by ``build_services``).
    policies: PolicyService | None = None
    approvals: ApprovalService | None = None
    # Evaluation results: recorded, listed and compared (built by ``build_services``).
    evaluations: EvaluationService | None = None
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Close the blob store and the store (idempotent)."""
        if not self._closed:
            self._closed = True
            self.blobs.close()
            self.store.close()
