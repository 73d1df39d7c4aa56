"""Settings, declared once: each field of ``Settings`` carries its default, its help and its checks.

Each setting is read, in rising precedence, from its default, a TOML config file (top-level keys
named as the fields), the environment variable ``LLM_REGISTRY_<NAME>``, and explicit overrides
(command-line options). ``SETTINGS`` (name, default, help, env var), ``docs/settings.md``, the help
of the CLI options that mirror a setting and a test derive from the fields. A bad value is refused
here, when the settings are built, before anything uses it: ``ValidationError`` with code
``invalid_parameter`` and the setting as ``field``.

``Settings`` is a plain pydantic model and ``load`` reads the file and the environment itself:
pydantic-settings, for sources this module never used, cost every start of the CLI ~40 ms
(its package imports asyncio, ssl, argparse, dotenv…).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from llm_registry.errors import ValidationError

ENV_PREFIX = "LLM_REGISTRY_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
LOG_FORMATS = ("auto", "text", "json")
# accounts.tokens refuses a shorter signing secret too; refusing it here stops a server before it starts.
MIN_SECRET_LENGTH = 32
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
_RATE_LIMIT = re.compile(r"\s*\w+\s*=\s*[1-9][0-9]*\s*")

# The sections of docs/settings.md, in order.
REGISTRY, REMOTE, SERVER, ACCESS = "registry", "remote", "server", "access"
BLOBS = "blobs"


def env_var(name: str) -> str:
    """The environment variable of setting ``name``."""
    return ENV_PREFIX + name.upper()


def setting(default: Any, help: str, *, section: str, secret: bool = False, **checks: Any) -> Any:
    """A declared setting: its default, help and docs section, and pydantic's checks (``ge=1``…).

    A ``secret`` one is left out of ``repr`` and of error messages.
    """
    return Field(
        default, description=help, repr=not secret, json_schema_extra={"section": section, "secret": secret},
        **checks,
    )


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true or false (or 1/0, yes/no, on/off)")
    return value


# true/false, 1/0, yes/no, on/off (any case); an empty variable is false.
Flag = Annotated[bool, BeforeValidator(_flag)]


class Settings(BaseModel):
    """Every setting of the registry, its client and its server; immutable.

    ``Settings(name=value, …)`` is the defaults and those values alone (it reads nothing);
    ``Settings.load`` reads the config file and the environment as well.
    """

    # defer_build: the validators are built when settings are first made, not for --help.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)

    url: str = setting(
        "./.llm-registry",
        "Where the registry lives: a folder (SQLite inside), sqlite:///ABSOLUTE/FILE or sqlite:RELATIVE/FILE, "
        "postgresql://… or http(s)://…",
        section=REGISTRY,
    )
    default_namespace: str = setting("default", "Namespace given to names written without one.", section=REGISTRY)
    actor: str = setting(
        "", "Who the embedded registry records as the actor of changes (default: the OS user).", section=REGISTRY
    )
    sqlite_busy_timeout_ms: int = setting(
        30_000, "How long a SQLite writer waits for another process's write lock.", section=REGISTRY
    )
    postgres_pool_size: int = setting(10, "Connections kept open per process to PostgreSQL.", section=REGISTRY)
    trust_policy: str = setting(
        "", "Where pulls and alias moves need a valid signature by a trusted signer: [KIND:]GLOB=MODE rules "
        "separated by commas (GLOB over namespace/name; MODE enforce, warn or off), the first match deciding, "
        "such as model:prod/*=enforce,*=warn; empty: off everywhere.",
        section=REGISTRY,
    )

    request_timeout: float = setting(30.0, "Seconds the remote client waits for a server's answer.", section=REMOTE)
    token: str = setting(
        "", "Bearer token (access token or API key) the remote client sends.", section=REMOTE, secret=True
    )

    host: str = setting("127.0.0.1", "Address the server listens on (0.0.0.0 for every interface).", section=SERVER)
    port: int = setting(8000, "TCP port the server listens on.", section=SERVER, ge=0, le=65535)
    workers: int = setting(
        1, "Server worker processes; each opens its own connections to the database.", section=SERVER, ge=1
    )
    threads: int = setting(
        8, "Threads per server worker that run requests against the database (at most its pool).",
        section=SERVER, ge=1,
    )
    no_auth: Flag = setting(
        False, "Serve without authentication, every request acting as 'anonymous': the explicit open mode.",
        section=SERVER,
    )
    cors_origins: str = setting(
        "", "Comma-separated origins allowed by CORS (`*` for any); empty turns CORS off.", section=SERVER
    )
    max_body_bytes: int = setting(
        10_485_760, "Largest request body the server accepts, in bytes (larger: 413).", section=SERVER
    )
    log_level: str = setting(
        "info", "Server log level: critical, error, warning, info, debug or trace.", section=SERVER
    )
    log_format: str = setting(
        "auto", "Server log lines: text (for people), json (one object per line), or auto: text when they go "
        "to a terminal, else json.", section=SERVER,
    )
    log_file: str = setting(
        "", "Write the server's log lines to this file (appended) instead of standard error.", section=SERVER
    )
    access_log: Flag = setting(True, "Write one log line per request.", section=SERVER)
    gzip_min_bytes: int = setting(
        1024, "Responses at least this large are gzip-compressed for clients that accept it.", section=SERVER
    )
    events_max_wait: float = setting(
        30.0, "Longest long-poll (`GET /v1/events?wait=`) the server holds, in seconds.", section=SERVER
    )
    shutdown_timeout: float = setting(
        10.0, "Seconds the server lets requests in flight finish on shutdown.", section=SERVER
    )

    jwt_secret: str = setting(
        "", f"Secret ({MIN_SECRET_LENGTH}+ characters) that signs access tokens; empty: a random one per process.",
        section=ACCESS, secret=True,
    )
    jwt_previous_secrets: str = setting(
        "", "Comma-separated former JWT secrets that still verify tokens after a rotation.",
        section=ACCESS, secret=True,
    )
    jwt_issuer: str = setting(
        "llm-registry", "The `iss` of access tokens; tokens of another issuer are refused.", section=ACCESS
    )
    jwt_audience: str = setting(
        "llm-registry", "The `aud` of access tokens; tokens for another audience are refused.", section=ACCESS
    )
    access_token_ttl: int = setting(900, "Seconds an access token is valid.", section=ACCESS)
    refresh_token_ttl: int = setting(
        2_592_000, "Seconds a login session (its refresh tokens) lasts without a new login.", section=ACCESS
    )
    anonymous_read: Flag = setting(
        False, "Let requests without credentials read (assets:read) on an authenticated server.", section=ACCESS
    )
    bootstrap_admin: str = setting(
        "", "NAME:PASSWORD of an admin created at server start when there is no user yet.",
        section=ACCESS, secret=True,
    )
    rate_limits: str = setting(
        "admin=1200,developer=600,user=300,viewer=300,anonymous=60",
        "Requests per minute per identity, by role (`anonymous` per client address); a token bucket of that size.",
        section=ACCESS,
    )
    login_rate_limit: int = setting(10, "Login attempts per minute per client address and username.", section=ACCESS)
    rate_limit_backend: Literal["memory", "redis"] = setting(
        "memory", "Where rate-limit buckets live: memory (one instance) or redis (shared).", section=ACCESS
    )
    redis_url: str = setting(
        "redis://127.0.0.1:6379/0", "Redis for shared rate limits (rate_limit_backend = redis).", section=ACCESS
    )

    blob_store: Literal["local", "s3"] = setting(
        "local", "Where the bytes of versions live: local (a folder) or s3 (S3-compatible storage).", section=BLOBS
    )
    blob_root: str = setting(
        "", "Folder of the local blob store; empty: `blobs/` in the registry's folder (folder locations only).",
        section=BLOBS,
    )
    s3_endpoint: str = setting(
        "", "URL of an S3-compatible endpoint (MinIO, Ceph, …); empty: AWS S3 itself.", section=BLOBS
    )
    s3_bucket: str = setting("", "Bucket of the S3 blob store (blob_store = s3).", section=BLOBS)
    s3_prefix: str = setting("", "Key prefix of the blobs in the bucket (several registries may share one).",
                             section=BLOBS)
    s3_region: str = setting("", "Region of the bucket; empty: AWS_REGION / AWS_DEFAULT_REGION.", section=BLOBS)
    s3_access_key_id: str = setting(
        "", "Access key of the S3 blob store; empty: AWS_ACCESS_KEY_ID (and the other usual AWS sources).",
        section=BLOBS, secret=True,
    )
    s3_secret_access_key: str = setting(
        "", "Secret key of the S3 blob store; empty: AWS_SECRET_ACCESS_KEY.", section=BLOBS, secret=True
    )
    max_blob_bytes: int = setting(
        1_099_511_627_776, "Largest blob the server accepts, in bytes (larger: 413).", section=BLOBS, ge=1
    )
    blob_chunk_bytes: int = setting(
        67_108_864,
        "Largest chunk of a resumable upload the server accepts (PATCH), and the chunk size clients send; "
        "files up to this size go in one request.",
        section=BLOBS, ge=65_536,
    )
    transfer_threads: int = setting(4, "Files push and pull move at once.", section=BLOBS, ge=1, le=64)
    digest_cache: Flag = setting(
        True, "Remember the digests of files pushed (by path, size, times and inode), so that pushing them "
        "again reads none of their bytes.", section=BLOBS,
    )
    gc_grace: int = setting(
        86_400, "Seconds a blob no version references is kept before `gc` may remove it.", section=BLOBS, ge=0
    )

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        *,
        config_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Defaults, then the config file, then ``environ`` (None: ``os.environ``), then ``overrides``
        (None values skipped); raises ValidationError for an unknown setting or a bad value."""
        given = _known(dict(overrides or {}), where="")
        from_environment = environment_values(os.environ if environ is None else environ)
        from_file = _known(read_config_file(config_file), where=f" in {config_file}") if config_file is not None else {}
        return cls(**(from_file | from_environment | given))

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @model_validator(mode="wrap")
    @classmethod
    def _as_registry_error(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Every way of building Settings refuses a bad value with the registry's own error."""
        try:
            return handler(data)
        except PydanticValidationError as exc:
            raise _registry_error(exc) from None

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in LOG_FORMATS:
            raise ValueError(f"must be one of {', '.join(LOG_FORMATS)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        if not all(_RATE_LIMIT.fullmatch(item) for item in value.split(",") if item.strip()):
            raise ValueError("must be ROLE=REQUESTS_PER_MINUTE,… (such as admin=1200,anonymous=60)")
        return value

    @field_validator("trust_policy")
    @classmethod
    def _trust_policy(cls, value: str) -> str:
        from llm_registry.integrity.trust.policy import TrustPolicy

        TrustPolicy.parse(value)  # raises ValueError saying what is wrong
        return value

    @field_validator("bootstrap_admin")
    @classmethod
    def _bootstrap_admin(cls, value: str) -> str:
        name, colon, password = value.partition(":")
        if value and not (name.strip() and colon and password):
            raise ValueError("must be NAME:PASSWORD")
        return value

    @field_validator("jwt_secret", "jwt_previous_secrets")
    @classmethod
    def _jwt_secrets(cls, value: str) -> str:
        if any(len(secret.strip()) < MIN_SECRET_LENGTH for secret in value.split(",") if secret.strip()):
            raise ValueError(f"a JWT secret has at least {MIN_SECRET_LENGTH} characters")
        return value


def environment_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings set by ``LLM_REGISTRY_<NAME>`` variables of ``environ`` (exact names; other
    variables ignored)."""
    found = {name: environ.get(env_var(name)) for name in Settings.model_fields}
    return {name: value for name, value in found.items() if value is not None}


def read_config_file(path: Path) -> dict[str, Any]:
    """The top-level table of a TOML config file; raises ValidationError when it cannot be read."""
    import tomllib

    try:
        return tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(
            f"cannot read config file {path}: {exc}", code="invalid_parameter", field="config"
        ) from None


def _known(values: dict[str, Any], *, where: str) -> dict[str, Any]:
    """``values`` without the None ones; raises ValidationError on a name that is not a setting."""
    for key in values:
        if key not in Settings.model_fields:
            raise ValidationError(f"unknown setting {key!r}{where}", code="invalid_parameter", field=key)
    return {key: value for key, value in values.items() if value is not None}


def _registry_error(exc: PydanticValidationError) -> ValidationError:
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    if name not in Settings.model_fields:
        return ValidationError(f"unknown setting {name!r}", code="invalid_parameter", field=name)
    message = error["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    shown = "" if DECLARED[name].secret else f", got {error['input']!r}"
    return ValidationError(
        f"setting {name} ({env_var(name)}): {message}{shown}", code="invalid_parameter", field=name
    )


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting, as the docs and the CLI show it."""

    name: str
    default: Any
    help: str
    section: str
    secret: bool = False

    @property
    def env(self) -> str:
        return env_var(self.name)

    @property
    def shown_default(self) -> str:
        """The default as the docs write it: ``true``/``false``, ``(empty)``, else the value."""
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default) if self.default != "" else "(empty)"

    def option_help(self, summary: str | None = None) -> str:
        """The help of a command-line option that sets this setting: ``summary`` (else the
        setting's help) with the variable and the default it falls back to."""
        text = (summary or self.help).rstrip(".")
        return f"{text} (default: ${self.env}, else {self.shown_default})."


def _declared(name: str) -> Setting:
    field = Settings.model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return Setting(name, field.default, field.description or "", str(extra["section"]), bool(extra["secret"]))


SETTINGS: tuple[Setting, ...] = tuple(_declared(name) for name in Settings.model_fields)
DECLARED: dict[str, Setting] = {s.name: s for s in SETTINGS}
