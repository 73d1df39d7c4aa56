"""The accounts of one registry: users, sessions, API keys and namespace grants.

Four services, one per seam, over one store and one clock, with the authorizer they ask
(and that the asset services ask too). ``AccountService`` only holds them together: a
registry has accounts or not (``bootstrap.build_services(with_accounts=)``), so the
``Services`` container holds one optional field, not four that are set or unset together.

Every change appends its event in the same transaction. Secrets are returned once (the
answer that creates them) and never logged, stored or put in an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from llm_registry.accounts.api_keys import ApiKeyService
from llm_registry.accounts.authorization import AccountAuthorizer
from llm_registry.accounts.grants import GrantService
from llm_registry.accounts.interfaces import AccountStore
from llm_registry.accounts.sessions import SessionService
from llm_registry.accounts.tokens import TokenSigner
from llm_registry.accounts.users import UserService
from llm_registry.domain.times import Clock, system_clock


@dataclass(frozen=True, slots=True)
class AccountService:
    store: AccountStore
    authorizer: AccountAuthorizer
    users: UserService
    sessions: SessionService
    api_keys: ApiKeyService
    grants: GrantService

    @classmethod
    def build(
        cls, store: AccountStore, signer: TokenSigner, *, refresh_ttl_seconds: int, clock: Clock = system_clock
    ) -> AccountService:
        """The four services over ``store``, with ``clock`` for every time they record or check
        (the signer's should be the same clock)."""
        authorizer = AccountAuthorizer(store)
        return cls(
            store=store,
            authorizer=authorizer,
            users=UserService(store, authorizer, clock=clock),
            sessions=SessionService(store, signer, refresh_ttl_seconds=refresh_ttl_seconds, clock=clock),
            api_keys=ApiKeyService(store, authorizer, clock=clock),
            grants=GrantService(store, authorizer, clock=clock),
        )
