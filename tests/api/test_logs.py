"""Server logs for people and for machines: text on a terminal (or when asked), JSON otherwise,
to stderr or to a file."""

from __future__ import annotations

import logging
import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

import orjson

from llm_registry.api.rest.logs import JsonLogFormatter, TextLogFormatter, logging_config
from tests.api.test_serve import CLEAN_ENV, SCRIPT


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("llm_registry.access", logging.INFO, __file__, 1, message, None, None)


def test_a_structured_line_reads_as_text_with_its_fields() -> None:
    line = orjson.dumps({"event": "request", "method": "GET", "path": "/v1/models", "status": 200,
                         "level": "info", "timestamp": "2026-01-01T00:00:00Z", "actor": "ada lovelace"}).decode()
    text = TextLogFormatter().format(_record(line))
    assert text.endswith('INFO    request  method=GET path=/v1/models status=200 actor="ada lovelace"')
    assert "{" not in text
    assert orjson.loads(JsonLogFormatter().format(_record(line)))["path"] == "/v1/models"
    assert TextLogFormatter().format(_record("plain words")).endswith("INFO    plain words")


def test_auto_is_text_on_a_terminal_and_json_elsewhere(tmp_path: Path) -> None:
    probe = ("import sys; from llm_registry.api.rest.logs import logging_config; "
             "print(logging_config('info', format='auto')['formatters']['main']['()'])")
    piped = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert piped.stdout.strip().endswith("JsonLogFormatter")
    main, secondary = pty.openpty()
    try:
        on_tty = subprocess.run([sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=secondary, text=True,
                                check=True)
    finally:
        os.close(secondary)
        os.close(main)
    assert on_tty.stdout.strip().endswith("TextLogFormatter")
    to_file = logging_config("info", format="auto", file=str(tmp_path / "x.log"))
    assert to_file["formatters"]["main"]["()"].endswith("JsonLogFormatter")
    assert to_file["handlers"]["main"]["filename"] == str(tmp_path / "x.log")


def test_a_port_in_use_is_said_in_words_in_the_log_file(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log = tmp_path / "server.log"
        result = subprocess.run(
            [str(SCRIPT), "--registry", str(tmp_path / "reg"), "serve", "--no-auth", "--port", str(port),
             "--log-format", "text", "--log-file", str(log)],
            capture_output=True, text=True, env=CLEAN_ENV, timeout=60,
        )
    assert result.returncode != 0
    assert result.stderr == ""  # everything went to the file
    lines = log.read_text().splitlines()
    assert any("address already in use" in line.lower() and not line.startswith("{") for line in lines), lines
