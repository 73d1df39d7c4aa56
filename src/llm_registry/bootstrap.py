"""One place builds everything from settings: the store, the services over it, the account
service and its authorizer, the rate limiter."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from llm_registry.assets.context import AssetContext
from llm_registry.assets.store_sql import SqlAssetStore
from llm_registry.domain.access import Authorizer
from llm_registry.domain.times import Clock, system_clock
from llm_registry.errors import ValidationError
from llm_registry.settings import Settings

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService
    from llm_registry.integrity.trust.services import TrustService
    from llm_registry.lineage.services import LineageService
    from llm_registry.ratelimit.interfaces import RateLimiter
    from llm_registry.ratelimit.policy import RequestThrottle
    from llm_registry.search.services import SearchService
    from llm_registry.search.store_sql import SqlSearchIndex
    from llm_registry.services import Services

SQLITE_FILE = "registry.db"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def create_store(location: str, settings: Settings) -> SqlAssetStore:
    """The store for a folder, a SQLite file or ``postgresql://…`` (schema not checked)."""
    if location.startswith(POSTGRES_SCHEMES):
        from llm_registry.assets.store_postgres import PostgresAssetStore

        return PostgresAssetStore(location, pool_size=settings.postgres_pool_size)
    if not location.strip():
        raise ValidationError("the registry location is empty", code="invalid_parameter", field="url")
    if location.startswith("sqlite:"):
        path = sqlite_path(location)
    elif "://" in location:
        raise ValidationError(
            f"unsupported registry location {location!r}: use a folder, sqlite:///FILE, postgresql://… or http(s)://…",
            code="invalid_parameter",
            field="url",
        )
    else:
        folder = Path(location).expanduser()
        if folder.exists() and not folder.is_dir():
            raise ValidationError(f"{folder} is not a folder", code="invalid_parameter", field="url")
        path = folder / SQLITE_FILE
    from llm_registry.assets.store_sqlite import SqliteAssetStore

    return SqliteAssetStore(path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def sqlite_path(location: str) -> Path:
    """The file of a ``sqlite:`` location, as people write them: ``sqlite:///srv/reg/x.db`` is the
    absolute ``/srv/reg/x.db`` (as in a ``file:`` URL; SQLAlchemy's four slashes mean the same),
    ``sqlite:x.db`` or ``sqlite:./data/x.db`` a file relative to the current folder."""
    rest = location.removeprefix("sqlite:")
    if rest.startswith("//"):
        rest = rest.removeprefix("//")
        if not rest.startswith("/"):
            raise ValidationError(
                f"unsupported SQLite location {location!r}: sqlite:///ABSOLUTE/PATH or sqlite:RELATIVE/PATH",
                code="invalid_parameter", field="url",
            )
        path = Path("/" + rest.lstrip("/"))
    else:
        path = Path(rest)
    if not rest or path.name in ("", ".", ".."):
        raise ValidationError(f"{location!r} names no file", code="invalid_parameter", field="url")
    return path.expanduser()


def open_store(location: str, settings: Settings) -> SqlAssetStore:
    """A store whose schema is current: created on an empty database, refused when outdated."""
    from llm_registry.storage import migrate
    from llm_registry.storage.engine import check_reachable

    store = create_store(location, settings)
    try:
        check_reachable(store.engine)
        migrate.ensure_schema(store.engine)
    except BaseException:
        store.close()
        raise
    return store


def build_services(
    settings: Settings,
    *,
    location: str | None = None,
    store: SqlAssetStore | None = None,
    with_accounts: bool = False,
    clock: Clock = system_clock,
) -> Services:
    """Every service over the registry at ``location`` (default ``settings.url``), or over an
    open ``store`` (which the services then own). ``with_accounts`` adds the account service,
    and with it the authorizer every asset service asks (ownership and namespace grants)."""
    from llm_registry.events.services import EventService
    from llm_registry.services import Services

    store = store or open_store(settings.url if location is None else location, settings)
    try:
        accounts = build_account_service(store, settings, clock=clock) if with_accounts else None
        authorizer = build_authorizer(accounts) if accounts is not None else None
        index = build_search_index(store)
        context = AssetContext(
            store, search_index=index, default_namespace=settings.default_namespace, clock=clock,
            authorizer=authorizer,
        )
        trust = build_trust_service(store, context, settings)
        # Alias moves ask the gate only where the policy asks anything (else no read is spent on it).
        context = dataclasses.replace(context, trust=trust if trust.policy.active else None)
        from llm_registry.assets.aliases import AliasService
        from llm_registry.assets.changes import ChangeService
        from llm_registry.assets.reads import CatalogService
        from llm_registry.assets.registration import BatchRegistration, RegistrationService

        registration = RegistrationService(context)
        return Services(
            store=store,
            context=context,
            catalog=CatalogService(context),
            registration=registration,
            batch=BatchRegistration(registration),
            changes=ChangeService(context),
            aliases=AliasService(context),
            events=EventService(store, default_namespace=settings.default_namespace, authorizer=authorizer),
            search=build_search_service(store, index),
            lineage=build_lineage_service(store, context),
            accounts=accounts,
            trust=trust,
        )
    except BaseException:
        store.close()
        raise


def build_trust_service(store: SqlAssetStore, context: AssetContext, settings: Settings) -> TrustService:
    """Signers, signatures, provenance and the trust gate, under the ``trust_policy`` setting.
    No blob store yet: ``verify`` checks declared and local files, not stored ones."""
    from llm_registry.integrity.trust.policy import TrustPolicy
    from llm_registry.integrity.trust.services import TrustService
    from llm_registry.integrity.trust.store_sql import SqlTrustStore

    return TrustService.build(SqlTrustStore(store), context, policy=TrustPolicy.parse(settings.trust_policy))


def build_search_index(store: SqlAssetStore) -> SqlSearchIndex:
    """The search index of the store's backend (FTS5 on SQLite, tsvector on PostgreSQL)."""
    if store.backend == "postgresql":
        from llm_registry.search.store_postgres import PostgresSearchIndex

        return PostgresSearchIndex()
    from llm_registry.search.store_sqlite import Fts5SearchIndex

    return Fts5SearchIndex()


def build_search_service(store: SqlAssetStore, index: SqlSearchIndex) -> SearchService:
    """Search over the index the asset services keep current."""
    from llm_registry.search.services import SearchService

    return SearchService(store, index)


def build_lineage_service(store: SqlAssetStore, context: AssetContext) -> LineageService:
    """Lineage over the store's pins, walked in SQL (one recursive statement per query)."""
    from llm_registry.lineage.services import LineageService
    from llm_registry.lineage.store_sql import SqlLineageStore

    return LineageService(store, context, SqlLineageStore())


def build_account_service(store: SqlAssetStore, settings: Settings, *, clock: Clock = system_clock) -> AccountService:
    """Accounts over the same database; signing keys from settings (a random one when unset).
    ``clock`` is the one clock of sessions, keys and access tokens alike."""
    from llm_registry.accounts.services import AccountService
    from llm_registry.accounts.store_sql import SqlAccountStore
    from llm_registry.accounts.tokens import TokenSigner, random_secret, signing_key

    secrets = [settings.jwt_secret or random_secret()]
    secrets += [s.strip() for s in settings.jwt_previous_secrets.split(",") if s.strip()]
    signer = TokenSigner(
        [signing_key(s) for s in secrets], issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl, clock=clock,
    )
    return AccountService.build(
        SqlAccountStore(store), signer, refresh_ttl_seconds=settings.refresh_token_ttl, clock=clock
    )


def build_authorizer(accounts: AccountService) -> Authorizer:
    """The permission checks of a registry with accounts (RBAC, ownership, namespace grants)."""
    return accounts.authorizer


def build_request_throttle(settings: Settings) -> RequestThrottle:
    """The rate limits of a server: the policy of ``rate_limits`` and ``login_rate_limit`` over
    the limiter of ``rate_limit_backend``."""
    from llm_registry.ratelimit.policy import RateLimitPolicy, RequestThrottle

    policy = RateLimitPolicy.parse(settings.rate_limits, login_per_minute=settings.login_rate_limit)
    return RequestThrottle(build_rate_limiter(settings), policy)


def build_rate_limiter(settings: Settings) -> RateLimiter:
    """The rate limiter of ``settings.rate_limit_backend``: memory (one process) or redis (shared)."""
    from llm_registry.ratelimit.memory import MemoryRateLimiter

    if settings.rate_limit_backend == "redis":
        from llm_registry.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter.from_url(settings.redis_url)
    return MemoryRateLimiter()
