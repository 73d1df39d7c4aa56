"""Structured logs: one JSON object per line, for the server's own lines and uvicorn's alike."""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

from llm_registry.api.rest.context import request_id_var

ACCESS_LOGGER = "llm_registry.access"
SERVER_LOGGER = "llm_registry.server"


def _json(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _add_request_id(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = request_id_var.get()
    if request_id and "request_id" not in event:
        event["request_id"] = request_id
    return event


def structured_logger(name: str) -> Any:
    """A structlog logger writing one JSON object per line through the stdlib logger ``name``."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            _add_request_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json),
        ],
    )


class JsonLogFormatter(logging.Formatter):
    """Formats any log record as one JSON line; structlog's lines pass through unchanged."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if message.startswith("{") and message.endswith("}"):
            return message
        entry: dict[str, Any] = {
            "event": message,
            "level": record.levelname.lower(),
            "logger": record.name,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _json(entry)


def logging_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (also given to uvicorn) writing JSON lines to stderr."""
    level = "DEBUG" if level.lower() == "trace" else level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLogFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "llm_registry": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
