"""``serve``: run the REST API server (uvicorn) on the registry's database."""

from __future__ import annotations

import math
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from llm_registry.cli.output import redact_location
from llm_registry.cli.session import current_state
from llm_registry.settings import DECLARED, Settings

STARTUP_FAILURE = 3  # uvicorn's exit code when the server cannot start


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", metavar="HOST", help=DECLARED["host"].option_help())] = None,
    port: Annotated[int | None, typer.Option("--port", metavar="PORT", help=DECLARED["port"].option_help())] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", metavar="N", help=DECLARED["workers"].option_help())
    ] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help=DECLARED["no_auth"].option_help())] = False,
    log_format: Annotated[
        str | None, typer.Option("--log-format", metavar="auto|text|json", help=DECLARED["log_format"].option_help())
    ] = None,
    log_file: Annotated[
        str | None, typer.Option("--log-file", metavar="FILE", help=DECLARED["log_file"].option_help())
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", help="A TOML file of settings (see docs/settings.md).")
    ] = None,
) -> None:
    """Run the REST API server on the registry's database (--registry, or LLM_REGISTRY_URL)."""
    state = current_state(ctx)
    overrides: dict[str, Any] = {
        "url": state.registry, "host": host, "port": port, "workers": workers, "no_auth": True if no_auth else None,
        "log_format": log_format, "log_file": log_file,
    }
    run_server(Settings.load(overrides, config_file=config))


def run_server(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, then let requests in flight finish; raises RegistryError
    when the location is another server or the database cannot be used."""
    from llm_registry import bootstrap
    from llm_registry.errors import ValidationError

    if bootstrap.is_remote(settings.url):
        raise ValidationError(
            f"{redact_location(settings.url)} is a server: serve a folder, sqlite:///FILE or postgresql://…",
            code="invalid_parameter", field="registry",
        )
    import logging.config

    log_config = _logging_config(settings)
    logging.config.dictConfig(log_config)
    if settings.workers > 1:
        from llm_registry.api.rest.workers import WorkerApp

        # Create (or check) the schema once, here, rather than racing in every worker.
        bootstrap.open_store(settings.url, settings).close()
        app: Any = WorkerApp(settings)
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


def _logging_config(settings: Settings) -> dict[str, Any]:
    from llm_registry.api.rest.logs import logging_config

    return logging_config(settings.log_level, format=settings.log_format, file=settings.log_file)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app``."""
    app.command("serve")(serve)
