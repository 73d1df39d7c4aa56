"""What the CLI's commands against a server share: the server a location names, the password
prompt, and JSON calls with the saved login (or the ``token`` setting), renewed as needed."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any

import typer

from llm_registry import bootstrap
from llm_registry.cli.session import CliState, load_settings
from llm_registry.errors import UnauthenticatedError, ValidationError

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def read_password(from_stdin: bool, prompt: str = "Password") -> str:
    """The first line of stdin, or a password typed at a prompt that does not echo it."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(f"{prompt}: ")


def server_url(state: CliState) -> str:
    """The server of the registry location; raises ValidationError when it is not http(s)://."""
    url = load_settings(state).url
    if not bootstrap.is_remote(url):
        raise ValidationError(f"this command talks to a server; {url!r} is not http(s)://", code="invalid_parameter",
                              field="url")
    from llm_registry.accounts import credentials  # httpx, only for server commands

    return credentials.server_key(url)


def call(state: CliState, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
    """The JSON answer of one request to the server (None for an empty one); raises
    UnauthenticatedError when there are no credentials for it, and the error of a refusal."""
    from llm_registry.connection import ServerConnection

    url = server_url(state)
    connection = ServerConnection(url, settings=load_settings(state))
    try:
        if not connection.has_credentials:
            raise UnauthenticatedError(f"not logged in to {url}: run `llm-registry login {url}`")
        response = connection.request(method, path, params=params, body=body)
    finally:
        connection.close()
    return response.json() if response.content else None
