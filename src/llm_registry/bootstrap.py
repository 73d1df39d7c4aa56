"""One place builds everything from settings: the store and the services over it."""

from __future__ import annotations

from pathlib import Path

from llm_registry.assets.interfaces import AssetStore
from llm_registry.assets.services import AssetService
from llm_registry.assets.store_postgres import PostgresAssetStore
from llm_registry.assets.store_sql import SqlAssetStore
from llm_registry.assets.store_sqlite import SqliteAssetStore
from llm_registry.errors import ValidationError
from llm_registry.settings import Settings
from llm_registry.storage import migrate
from llm_registry.storage.engine import check_reachable

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


def build_asset_service(store: AssetStore, settings: Settings) -> AssetService:
    return AssetService(store, default_namespace=settings.default_namespace)
