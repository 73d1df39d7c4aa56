"""Settings, declared once as a table of (name, default, help).

Each setting reads from ``LLM_REGISTRY_<NAME>`` in the environment, a TOML config file
(top-level keys named as below), or explicit overrides, in rising precedence. The CLI
options, ``docs/settings.md`` and a test derive from this table.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from llm_registry.errors import ValidationError

ENV_PREFIX = "LLM_REGISTRY_"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "url",
        "./.llm-registry",
        "Where the registry lives: a folder (SQLite inside), sqlite:///FILE, postgresql://… or http(s)://…",
    ),
    Setting("default_namespace", "default", "Namespace given to names written without one."),
    Setting("actor", "", "Who the embedded registry records as the actor of changes (default: the OS user)."),
    Setting("sqlite_busy_timeout_ms", 30_000, "How long a SQLite writer waits for another process's write lock."),
    Setting("postgres_pool_size", 10, "Connections kept open per process to PostgreSQL."),
    Setting("request_timeout", 30.0, "Seconds the remote client waits for a server's answer."),
    Setting("token", "", "Bearer token (access token or API key) the remote client sends."),
    # The server (`llm-registry serve`).
    Setting("host", "127.0.0.1", "Address the server listens on (0.0.0.0 for every interface)."),
    Setting("port", 8000, "TCP port the server listens on."),
    Setting("workers", 1, "Server worker processes; each opens its own connections to the database."),
    Setting("threads", 8, "Threads per server worker that run requests against the database (at most its pool)."),
    Setting("no_auth", False, "Serve without authentication: every request acts as 'anonymous' (explicit open mode)."),
    Setting("cors_origins", "", "Comma-separated origins allowed by CORS (`*` for any); empty turns CORS off."),
    Setting("max_body_bytes", 10_485_760, "Largest request body the server accepts, in bytes (larger: 413)."),
    Setting("log_level", "info", "Server log level: debug, info, warning or error."),
    Setting("access_log", True, "Write one structured JSON line per request."),
    Setting("gzip_min_bytes", 1024, "Responses at least this large are gzip-compressed for clients that accept it."),
    Setting("events_max_wait", 30.0, "Longest long-poll (`GET /v1/events?wait=`) the server holds, in seconds."),
    Setting("shutdown_timeout", 10.0, "Seconds the server lets requests in flight finish on shutdown."),
    # Access (docs/security.md).
    Setting("jwt_secret", "", "Secret (32+ characters) that signs access tokens; empty: a random one per process."),
    Setting("jwt_previous_secrets", "", "Comma-separated former JWT secrets that still verify after a rotation."),
    Setting("jwt_issuer", "llm-registry", "The `iss` of access tokens; tokens of another issuer are refused."),
    Setting("jwt_audience", "llm-registry", "The `aud` of access tokens; tokens for another audience are refused."),
    Setting("access_token_ttl", 900, "Seconds an access token is valid."),
    Setting("refresh_token_ttl", 2_592_000, "Seconds a login session (its refresh tokens) lasts without a new login."),
    Setting("anonymous_read", False, "Let requests without credentials read (assets:read) on an authenticated server."),
    Setting("bootstrap_admin", "", "NAME:PASSWORD of an admin created at server start when there is no user yet."),
    Setting(
        "rate_limits",
        "admin=1200,developer=600,user=300,viewer=300,anonymous=60",
        "Requests per minute per identity, by role (`anonymous` per client address); a token bucket of that size.",
    ),
    Setting("login_rate_limit", 10, "Login attempts per minute per client address and username."),
    Setting("rate_limit_backend", "memory", "Where rate-limit buckets live: memory (one instance) or redis (shared)."),
    Setting("redis_url", "redis://127.0.0.1:6379/0", "Redis for shared rate limits (rate_limit_backend = redis)."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    url: str = "./.llm-registry"
    default_namespace: str = "default"
    actor: str = ""
    sqlite_busy_timeout_ms: int = 30_000
    postgres_pool_size: int = 10
    request_timeout: float = 30.0
    token: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    threads: int = 8
    no_auth: bool = False
    cors_origins: str = ""
    max_body_bytes: int = 10_485_760
    log_level: str = "info"
    access_log: bool = True
    gzip_min_bytes: int = 1024
    events_max_wait: float = 30.0
    shutdown_timeout: float = 10.0
    jwt_secret: str = ""
    jwt_previous_secrets: str = ""
    jwt_issuer: str = "llm-registry"
    jwt_audience: str = "llm-registry"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 2_592_000
    anonymous_read: bool = False
    bootstrap_admin: str = ""
    rate_limits: str = "admin=1200,developer=600,user=300,viewer=300,anonymous=60"
    login_rate_limit: int = 10
    rate_limit_backend: str = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        config_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Defaults, then the config file, then the environment, then ``overrides`` (None values skipped)."""
        environ = os.environ if environ is None else environ
        declared = {s.name: s for s in SETTINGS}
        values: dict[str, Any] = {}
        if config_file is not None:
            try:
                data = tomllib.loads(config_file.read_text())
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ValidationError(
                    f"cannot read config file {config_file}: {exc}", code="invalid_parameter", field="config"
                ) from None
            for key, value in data.items():
                if key not in declared:
                    raise ValidationError(
                        f"unknown setting {key!r} in {config_file}", code="invalid_parameter", field=key
                    )
                values[key] = value
        for setting in SETTINGS:
            if setting.env in environ:
                values[setting.name] = environ[setting.env]
        for key, value in (overrides or {}).items():
            if key not in declared:
                raise ValidationError(f"unknown setting {key!r}", code="invalid_parameter", field=key)
            if value is not None:
                values[key] = value
        return cls(**{name: _coerce(declared[name], value) for name, value in values.items()})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _coerce(setting: Setting, value: Any) -> Any:
    kind = type(setting.default)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    try:
        if kind is bool:
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        return kind(value)
    except (TypeError, ValueError):
        raise ValidationError(
            f"setting {setting.name} ({setting.env}) must be {kind.__name__}, got {value!r}",
            code="invalid_parameter",
            field=setting.name,
        ) from None
