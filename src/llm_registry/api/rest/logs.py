"""The server's logs, for the server's own lines and uvicorn's alike: one JSON object per line for
machines, or one readable line for people (``log_format``: ``auto`` picks text on a terminal).

Lines are built as structured events (structlog); the formatters render them either way."""

from __future__ import annotations

import logging
import sys
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


class TextLogFormatter(logging.Formatter):
    """Formats any log record as one line for people: ``HH:MM:SS LEVEL  message key=value …``
    (a structured line's event first, its fields after)."""

    _SKIPPED = frozenset({"event", "level", "timestamp", "logger"})

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        fields: dict[str, Any] = {}
        if message.startswith("{") and message.endswith("}"):
            try:
                event = orjson.loads(message)
            except orjson.JSONDecodeError:
                event = None
            if isinstance(event, dict):
                message = str(event.get("event", ""))
                fields = {k: v for k, v in event.items() if k not in self._SKIPPED}
        request_id = request_id_var.get()
        if request_id and "request_id" not in fields:
            fields["request_id"] = request_id
        when = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{when} {record.levelname:<7} {message}"
        if fields:
            line += "  " + " ".join(f"{key}={_text(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else _json(value)
    return orjson.dumps(text).decode() if (" " in text or not text) else text


def logging_config(level: str, *, format: str = "json", file: str = "") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (also given to uvicorn): lines to ``file`` (appended), else
    to stderr; as JSON, as text, or (``auto``) as text when they go to a terminal."""
    level = "DEBUG" if level.lower() == "trace" else level.upper()
    if format == "auto":
        format = "text" if not file and sys.stderr.isatty() else "json"
    formatter = {"()": f"{__name__}.{'TextLogFormatter' if format == 'text' else 'JsonLogFormatter'}"}
    handler: dict[str, Any] = (
        {"class": "logging.FileHandler", "filename": file, "encoding": "utf-8", "formatter": "main"}
        if file else {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "llm_registry": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
