"""What the asset services share: the store, the search index kept in its transactions, the
default namespace, the clock and the authorizer; and the reference rules they all apply."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llm_registry.domain.kinds import Kind
from llm_registry.domain.names import DEFAULT_NAMESPACE, validate_namespace
from llm_registry.domain.references import Reference, parse_reference
from llm_registry.domain.times import Clock, format_epoch, system_clock
from llm_registry.errors import ValidationError

if TYPE_CHECKING:
    from llm_registry.assets.interfaces import AssetStore, AssetWriter, SearchIndexer, VersionStore
    from llm_registry.domain.access import Actor, Authorizer
    from llm_registry.governance.gate import Change, PolicyGate
    from llm_registry.integrity.interfaces import TrustGate


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What reading versions needs: a store that reads them and the reference rules (a name
    without namespace is in ``default_namespace``)."""

    store: VersionStore
    default_namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        validate_namespace(self.default_namespace, field="default_namespace")

    def parse_reference(self, ref: str | Reference, *, field: str = "ref", kind: Kind | None = None) -> Reference:
        if isinstance(ref, Reference):
            return ref
        return parse_reference(ref, field=field, default_namespace=self.default_namespace, kind=kind)

    def asset_reference(self, ref: str | Reference, field: str = "ref") -> Reference:
        """A reference to an asset (``kind:ns/name``); raises ValidationError when it has a selector."""
        parsed = self.parse_reference(ref, field=field)
        if parsed.selector is not None:
            raise ValidationError(
                f"expected an asset reference without selector, got {str(parsed)!r}",
                code="invalid_reference",
                field=field,
            )
        return parsed


@dataclass(frozen=True, slots=True)
class AssetContext(ReadContext):
    """Built once (``bootstrap``) and given to every asset service.

    ``search_index`` is kept current inside each write transaction, so search never lags the
    data. ``authorizer`` decides ownership and namespace grants; None (an embedded registry)
    lets the process owner do everything. ``trust`` is asked before an alias moves (None: no
    trust policy is applied).
    """

    store: AssetStore
    search_index: SearchIndexer | None = None
    clock: Clock = system_clock
    authorizer: Authorizer | None = None
    trust: TrustGate | None = None
    policy: PolicyGate | None = None

    def governed(self) -> AbstractContextManager[None]:
        """Around a change's transaction: what a policy refusal leaves is written after it."""
        return self.policy.recorded() if self.policy is not None else nullcontext()

    def check_policies(
        self, tx: AssetWriter, change: Callable[[], Change], actor: Actor, *, approval: str | None = None,
        batched: bool = False, force: bool = False,
    ) -> list[str]:
        """The warnings of the policies in force about ``change`` (built only when a policy
        is in force); raises PolicyDeniedError or ApprovalRequiredError. Records the warnings'
        ``policy.warned`` event in ``tx``."""
        if self.policy is None:
            return []
        from llm_registry.governance.gate import warning_texts

        built = change()
        outcomes = self.policy.check(tx, built, actor, approval=approval, batched=batched, force=force)
        if outcomes:
            self.policy.warned(tx, built, actor, outcomes, self.now())
        return warning_texts(outcomes)

    def now(self) -> str:
        """The clock's time in stored form."""
        return format_epoch(self.clock())

    def authorize(self, actor: Actor, permission: str, *, namespace: str, owner: str | None = None) -> None:
        """Raises ForbiddenError unless ``actor`` may use ``permission`` on a resource of
        ``namespace`` created by ``owner`` (None: about to be created)."""
        if self.authorizer is not None:
            self.authorizer.require_on(actor, permission, namespace=namespace, owner=owner)
