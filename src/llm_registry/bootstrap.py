"""One place builds everything from settings: the store and the services over it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llm_registry.assets.interfaces import AssetStore
from llm_registry.assets.services import AssetService
from llm_registry.assets.store_postgres import PostgresAssetStore
from llm_registry.assets.store_sql import SqlAssetStore
from llm_registry.assets.store_sqlite import SqliteAssetStore
from llm_registry.errors import ValidationError
from llm_registry.lineage.services import LineageService
from llm_registry.search.services import SearchService
from llm_registry.search.store_postgres import PostgresSearchIndex
from llm_registry.search.store_sql import SqlSearchIndex
from llm_registry.search.store_sqlite import Fts5SearchIndex
from llm_registry.settings import Settings
from llm_registry.storage import migrate
from llm_registry.storage.engine import check_reachable

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService
    from llm_registry.ratelimit.interfaces import RateLimiter

SQLITE_FILE = "registry.db"


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def create_store(location: str, settings: Settings) -> SqlAssetStore:
    """The store for a folder, ``sqlite:///FILE`` or ``postgresql://…`` (schema not checked)."""
    if location.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return PostgresAssetStore(location, pool_size=settings.postgres_pool_size)
    if location.startswith("sqlite:///"):
        path = Path(location.removeprefix("sqlite:///"))
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
    return SqliteAssetStore(path, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def open_store(location: str, settings: Settings) -> AssetStore:
    """A store whose schema is current: created on an empty database, refused when outdated."""
    store = create_store(location, settings)
    try:
        check_reachable(store.engine)
        migrate.ensure_schema(store.engine)
    except BaseException:
        store.close()
        raise
    return store


def build_search_index(store: AssetStore) -> SqlSearchIndex:
    """The search index of the store's backend (FTS5 on SQLite, tsvector on PostgreSQL)."""
    return PostgresSearchIndex() if store.backend == "postgresql" else Fts5SearchIndex()


def build_asset_service(store: AssetStore, settings: Settings) -> AssetService:
    return AssetService(
        store, default_namespace=settings.default_namespace, search_index=build_search_index(store)
    )


def build_search_service(store: AssetStore, assets: AssetService) -> SearchService:
    """Search over the index the asset service keeps current."""
    index = assets.search_index if isinstance(assets.search_index, SqlSearchIndex) else build_search_index(store)
    return SearchService(store, index)


def build_lineage_service(store: AssetStore, assets: AssetService) -> LineageService:
    return LineageService(store, assets)


def build_account_service(store: AssetStore, settings: Settings) -> AccountService:
    """Accounts over the same database; signing keys from settings (a random one when unset)."""
    from llm_registry.accounts.services import AccountService
    from llm_registry.accounts.store_sql import SqlAccountStore
    from llm_registry.accounts.tokens import TokenSigner, random_secret, signing_key

    if not isinstance(store, SqlAssetStore):
        raise TypeError("accounts need a SQL store")
    secrets = [settings.jwt_secret or random_secret()]
    secrets += [s.strip() for s in settings.jwt_previous_secrets.split(",") if s.strip()]
    signer = TokenSigner(
        [signing_key(s) for s in secrets], issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl,
    )
    return AccountService(SqlAccountStore(store), signer, refresh_ttl_seconds=settings.refresh_token_ttl)


def build_rate_limiter(settings: Settings) -> RateLimiter:
    """The rate limiter of ``settings.rate_limit_backend``: memory (one process) or redis (shared)."""
    from llm_registry.ratelimit.memory import MemoryRateLimiter

    if settings.rate_limit_backend == "redis":
        from llm_registry.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter.from_url(settings.redis_url)
    return MemoryRateLimiter()
