"""``serve``: run the REST API server (uvicorn) on the registry's database."""

from __future__ import annotations

import logging.config
import math
import os
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from llm_registry import bootstrap
from llm_registry.cli.output import redact_location
from llm_registry.cli.session import current_state
from llm_registry.errors import ValidationError
from llm_registry.settings import SETTINGS, Settings

APP_FACTORY = "llm_registry.api.rest.app:create_app_from_env"
STARTUP_FAILURE = 3  # uvicorn's exit code when the server cannot start
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", metavar="HOST", help="Listen address (default 127.0.0.1).")]
    = None,
    port: Annotated[int | None, typer.Option("--port", metavar="PORT", help="TCP port (default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", metavar="N", help="Worker processes (default 1).")
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Serve without authentication: every request acts as 'anonymous'.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", help="A TOML file of settings (see docs/settings.md).")
    ] = None,
) -> None:
    """Run the REST API server on the registry's database (--registry, or LLM_REGISTRY_URL)."""
    state = current_state(ctx)
    overrides: dict[str, Any] = {
        "url": state.registry, "host": host, "port": port, "workers": workers, "no_auth": True if no_auth else None,
    }
    run_server(Settings.load(overrides, config_file=config))


def run_server(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then let requests in flight finish; raises RegistryError
    when the settings are wrong or the database cannot be used."""
    _check(settings)
    log_config = _logging_config(settings)
    logging.config.dictConfig(log_config)
    if settings.workers > 1:
        # Create (or check) the schema once, here, rather than racing in every worker; the
        # workers import the app factory and read the settings from the environment.
        bootstrap.open_store(settings.url, settings).close()
        os.environ.update(settings_environment(settings))
        app: Any = APP_FACTORY
    else:
        from llm_registry.api.rest.app import create_app

        app = create_app(settings)
    logging.getLogger("llm_registry.server").info(
        "serving %s on http://%s:%s with %s worker(s), %s", redact_location(settings.url), settings.host,
        settings.port, settings.workers,
        "without authentication (--no-auth)" if settings.no_auth else "requiring authentication",
    )
    import uvicorn

    config = uvicorn.Config(
        app, factory=settings.workers > 1, host=settings.host, port=settings.port, workers=settings.workers,
        log_config=log_config, log_level=settings.log_level.lower(), access_log=False, server_header=False,
        timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_timeout)), lifespan="on",
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the
    # handler it found: make that a normal exit (code 0) rather than death by signal.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _exit_quietly)
    if settings.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:  # it could not bind, or the app did not start: uvicorn logged why
            raise SystemExit(STARTUP_FAILURE)
        return
    from llm_registry.api.rest.workers import ReusePortMultiprocess

    try:
        supervisor = ReusePortMultiprocess(config)
    except OSError as exc:
        logging.getLogger("llm_registry.server").error("cannot listen on %s:%s: %s", settings.host, settings.port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    supervisor.run()


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as its ``LLM_REGISTRY_*`` variable, so that worker processes load the same."""
    out = {}
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        out[setting.env] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _check(settings: Settings) -> None:
    if bootstrap.is_remote(settings.url):
        raise ValidationError(
            f"{redact_location(settings.url)} is a server: serve a folder, sqlite:///FILE or postgresql://…",
            code="invalid_parameter", field="registry",
        )
    if settings.workers < 1:
        raise ValidationError("workers must be at least 1", code="invalid_parameter", field="workers")
    if settings.threads < 1:
        raise ValidationError("threads must be at least 1", code="invalid_parameter", field="threads")
    if not 0 <= settings.port <= 65535:
        raise ValidationError("port must be between 0 and 65535", code="invalid_parameter", field="port")
    if settings.log_level.lower() not in LOG_LEVELS:
        raise ValidationError(f"log_level must be one of {', '.join(LOG_LEVELS)}", code="invalid_parameter",
                              field="log_level")


def _logging_config(settings: Settings) -> dict[str, Any]:
    from llm_registry.api.rest.logs import logging_config

    return logging_config(settings.log_level)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    app.command("serve")(serve)
