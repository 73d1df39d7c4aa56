"""One place builds everything from settings: the store, the services over it, the account
service and its authorizer, the rate limiter.

Each piece is imported when it is built: the CLI loads this module at start-up, and a registry
of one backend never loads the other's driver.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from llm_registry.domain.times import Clock, system_clock
from llm_registry.errors import ValidationError
from llm_registry.settings import Settings

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService
    from llm_registry.assets.context import AssetContext
    from llm_registry.assets.interfaces import VersionStore
    from llm_registry.assets.reads import VersionCatalog
    from llm_registry.assets.store_sql import SqlAssetStore
    from llm_registry.assets.store_sqlite_read import SqliteReadStore
    from llm_registry.domain.access import Authorizer
    from llm_registry.integrity.interfaces import BlobStore
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


def sqlite_path(location: str) -> Path | None:
    """The database file of a folder or SQLite location (None: PostgreSQL); raises
    ValidationError for a location that is neither (nor a server)."""
    if location.startswith(POSTGRES_SCHEMES):
        return None
    if not location.strip():
        raise ValidationError("the registry location is empty", code="invalid_parameter", field="url")
    if location.startswith("sqlite:"):
        return sqlite_url_path(location)
    if "://" in location:
        raise ValidationError(
            f"unsupported registry location {location!r}: use a folder, sqlite:///FILE, postgresql://… or "
            "http(s)://…",
            code="invalid_parameter",
            field="url",
        )
    folder = Path(location).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder", code="invalid_parameter", field="url")
    return folder / SQLITE_FILE


def create_store(location: str, settings: Settings) -> SqlAssetStore:
    """The store for a folder, a SQLite file or ``postgresql://…`` (schema not checked)."""
    path = sqlite_path(location)
    if path is None:
        from llm_registry.assets.store_postgres import PostgresAssetStore

        return PostgresAssetStore(location, pool_size=settings.postgres_pool_size)
    from llm_registry.assets.store_sqlite import SqliteAssetStore

    return SqliteAssetStore(path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def sqlite_url_path(location: str) -> Path:
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


def open_read_store(location: str, settings: Settings) -> SqliteReadStore | None:
    """A store that reads versions with the ``sqlite3`` module alone, for a SQLite database that
    exists at this release's schema; None for any other (``open_store`` creates, checks or
    refuses it). Raises ValidationError for a location that is not a database's."""
    path = sqlite_path(location)
    if path is None:
        return None
    from llm_registry.assets.store_sqlite_read import SqliteReadStore

    return SqliteReadStore.open(path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def build_version_catalog(store: VersionStore, settings: Settings) -> VersionCatalog:
    """get, resolve and an asset's versions over a store that reads versions (``open_read_store``)."""
    from llm_registry.assets.context import ReadContext
    from llm_registry.assets.reads import VersionCatalog

    return VersionCatalog(ReadContext(store, default_namespace=settings.default_namespace))


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
    from llm_registry.assets.context import AssetContext
    from llm_registry.events.services import EventService
    from llm_registry.services import Services

    where = settings.url if location is None else location
    store = store or open_store(where, settings)
    try:
        from llm_registry.integrity.store_sql import ChainedIndexer, SqlFileIndex

        accounts = build_account_service(store, settings, clock=clock) if with_accounts else None
        authorizer = build_authorizer(accounts) if accounts is not None else None
        index = build_search_index(store)
        files = SqlFileIndex()
        from llm_registry.governance.gate import PolicyGate

        gate = PolicyGate(store, clock=clock)
        # The files of a version are recorded in its registration's transaction, as its search entry is.
        context = AssetContext(
            store, search_index=ChainedIndexer(index, files), default_namespace=settings.default_namespace,
            clock=clock, authorizer=authorizer, policy=gate,
        )
        trust = build_trust_service(store, context, settings)
        # Alias moves ask the gate only where the policy asks anything (else no read is spent on it).
        context = dataclasses.replace(context, trust=trust if trust.policy.active else None)
        from llm_registry.assets.aliases import AliasService
        from llm_registry.assets.batch import BatchRegistration
        from llm_registry.assets.changes import ChangeService
        from llm_registry.assets.reads import CatalogService
        from llm_registry.assets.registration import RegistrationService
        from llm_registry.governance.approvals import ApprovalService
        from llm_registry.governance.evaluations import EvaluationService
        from llm_registry.governance.services import PolicyService
        from llm_registry.integrity.blobs import BlobService

        registration = RegistrationService(context)
        catalog = CatalogService(context)
        changes = ChangeService(context)
        aliases = AliasService(context)
        blobs = BlobService(
            context, catalog, lambda: build_blob_store(settings, location=where), files,
            max_blob_bytes=settings.max_blob_bytes, chunk_bytes=settings.blob_chunk_bytes,
        )
        services = Services(
            store=store,
            context=context,
            catalog=catalog,
            registration=registration,
            batch=BatchRegistration(registration),
            changes=changes,
            aliases=aliases,
            events=EventService(store, default_namespace=settings.default_namespace, authorizer=authorizer),
            search=build_search_service(store, index),
            lineage=build_lineage_service(store, context),
            blobs=blobs,
            accounts=accounts,
            trust=trust,
            policies=PolicyService(context, gate, catalog, registration),
            approvals=ApprovalService(context, registration, changes, aliases),
            evaluations=EvaluationService(context),
        )
        # Pulls ask the same gate as alias moves (None: no trust policy asks anything).
        blobs.trust = context.trust
        trust.verification.blobs = blobs.configured_store
        return services
    except BaseException:
        store.close()
        raise


def build_blob_store(settings: Settings, *, location: str) -> BlobStore:
    """The blob store of ``blob_store``: a local folder (``blob_root``, else ``blobs/`` in the
    registry's folder) or S3-compatible storage. Raises ValidationError when it is not set up."""
    if settings.blob_store == "s3":
        if not settings.s3_bucket:
            raise ValidationError("blob_store = s3 needs a bucket: set s3_bucket (LLM_REGISTRY_S3_BUCKET)",
                                  code="invalid_parameter", field="s3_bucket")
        from llm_registry.integrity.store_s3 import S3BlobStore

        return S3BlobStore(
            settings.s3_bucket, endpoint=settings.s3_endpoint or None, prefix=settings.s3_prefix,
            region=settings.s3_region or None, access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
        )
    from llm_registry.integrity.store_local import LocalBlobStore

    if settings.blob_root:
        return LocalBlobStore(Path(settings.blob_root).expanduser())
    if location.startswith(("sqlite:", *POSTGRES_SCHEMES)) or "://" in location:
        raise ValidationError(
            "a registry in a database (not a folder) has no folder of its own for blobs: set blob_root "
            "(LLM_REGISTRY_BLOB_ROOT), or blob_store = s3",
            code="invalid_parameter", field="blob_root",
        )
    return LocalBlobStore(Path(location).expanduser() / "blobs")
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
