"""Access: ``login``, ``logout``, ``admin create-user``, ``api-key create|ls|revoke``, ``audit``."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llm_registry import bootstrap
from llm_registry.cli.output import emit_json, notice, print_table, short_time, table
from llm_registry.cli.session import CliState, JsonOption, current_state, load_settings
from llm_registry.errors import UnauthenticatedError, ValidationError

if TYPE_CHECKING:
    import httpx

admin_app = typer.Typer(help="Administer a registry's database directly (first admin, …).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of the logged-in user on a server.", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")]


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(f"{prompt}: ")


def _raise_problem(response: httpx.Response) -> None:
    from llm_registry.problems import error_from_response

    if not response.is_success:
        raise error_from_response(response)


def _server(state: CliState) -> str:
    from llm_registry.accounts import credentials

    url = load_settings(state).url
    if not bootstrap.is_remote(url):
        raise ValidationError(f"this command talks to a server; {url!r} is not http(s)://", code="invalid_parameter",
                              field="url")
    return credentials.server_key(url)


def _call(state: CliState, method: str, path: str, **kwargs: Any) -> Any:
    import httpx

    from llm_registry.accounts import credentials

    url = _server(state)
    settings = load_settings(state)
    token = settings.token or credentials.token_for(url, timeout=settings.request_timeout)
    if token is None:
        raise UnauthenticatedError(f"not logged in to {url}: run `llm-registry login {url}`")
    with httpx.Client(base_url=url, timeout=settings.request_timeout) as client:
        response = client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
    _raise_problem(response)
    return response.json() if response.content else None


def login(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The server, e.g. https://registry.example.com")],
    username: Annotated[str | None, typer.Option("--username", "-u", help="Default: the OS user.")] = None,
    password_stdin: PasswordStdin = False,
    json_output: JsonOption = False,
) -> None:
    """Log in to a server; the session is kept in the config folder (mode 0600) and refreshed."""
    import httpx

    from llm_registry.accounts import credentials

    state = current_state(ctx, json_output)
    name = username or getpass.getuser()
    password = _read_password(password_stdin)
    with httpx.Client(base_url=credentials.server_key(url), timeout=load_settings(state).request_timeout) as client:
        response = client.post("/v1/auth/login", json={"username": name, "password": password})
    _raise_problem(response)
    credentials.store_tokens(url, response.json(), username=name)
    if state.json:
        emit_json({"url": credentials.server_key(url), "username": name})
    else:
        notice(f"logged in to {credentials.server_key(url)} as {name}")


def logout(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(help="The server (default: the registry location).")] = None,
) -> None:
    """End the session with a server and forget its tokens."""
    import httpx

    from llm_registry.accounts import credentials

    state = current_state(ctx)
    server = credentials.server_key(url) if url else _server(state)
    entry = credentials.forget(server)
    if entry is not None:
        try:
            with httpx.Client(base_url=server, timeout=10.0) as client:
                client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {entry['access_token']}"})
        except httpx.HTTPError:
            pass  # the tokens are forgotten; the server's session expires on its own
    notice(f"logged out of {server}")


@admin_app.command("create-user")
def create_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Option("--role", help="admin, developer, user or viewer.")] = "user",
    password_stdin: PasswordStdin = False,
    json_output: JsonOption = False,
) -> None:
    """Create a user in the database at the registry location (no server needed): the first admin."""
    state = current_state(ctx, json_output)
    settings = load_settings(state)
    if bootstrap.is_remote(settings.url):
        raise ValidationError("admin commands work on a database location, not a server", code="invalid_parameter",
                              field="url")
    password = _read_password(password_stdin)
    store = bootstrap.open_store(settings.url, settings)
    try:
        user = bootstrap.build_account_service(store, settings).create_user(
            name, password, role, actor=settings.actor or getpass.getuser()
        )
    finally:
        store.close()
    if state.json:
        emit_json(user.model_dump(mode="json"))
    else:
        notice(f"created {user.role.value} {user.username}")


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the key is for.")],
    role: Annotated[str | None, typer.Option("--role", help="At most your own role (default: yours).")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="Expiry time, ISO-8601.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Create an API key; its secret is printed this once."""
    state = current_state(ctx, json_output)
    created = _call(state, "POST", "/v1/api-keys", json={"name": name, "role": role, "expires_at": expires})
    if state.json:
        emit_json(created)
    else:
        notice(f"API key {created['id']} ({created['prefix']}, {created['role']}); it is not shown again:")
        typer.echo(created["key"])


@keys_app.command("ls")
def list_keys(
    ctx: typer.Context,
    every_user: Annotated[bool, typer.Option("--all", help="Every user's keys (admins).")] = False,
    json_output: JsonOption = False,
) -> None:
    """List API keys (never their secrets)."""
    state = current_state(ctx, json_output)
    page = _call(state, "GET", "/v1/api-keys", params={"all": "true"} if every_user else None)
    if state.json:
        emit_json(page)
        return
    rows = [[k["id"], k["prefix"], k["name"], k["owner"], k["role"], short_time(k["expires_at"]),
             short_time(k["last_used_at"]), "revoked" if k["revoked_at"] else "active"] for k in page["items"]]
    print_table(table("ID", "PREFIX", "NAME", "OWNER", "ROLE", "EXPIRES", "LAST USED", "STATE"), rows)


@keys_app.command("revoke")
def revoke_key(ctx: typer.Context, key_id: Annotated[str, typer.Argument(metavar="ID")],
               json_output: JsonOption = False) -> None:
    """Revoke an API key; it stops working at once."""
    state = current_state(ctx, json_output)
    revoked = _call(state, "DELETE", f"/v1/api-keys/{key_id}")
    if state.json:
        emit_json(revoked)
    else:
        notice(f"revoked {revoked['id']} ({revoked['prefix']})")


def audit(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option("--actor", help="Only changes by this actor.")] = None,
    type: Annotated[list[str] | None, typer.Option("--type", help="Only this event type (repeatable).")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Only about this subject.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this time (ISO-8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this time (ISO-8601).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Events (1-1000).")] = 100,
    json_output: JsonOption = False,
) -> None:
    """Who did what: the audit log, oldest first."""
    state = current_state(ctx, json_output)
    settings = load_settings(state)
    filters: dict[str, Any] = {"actor": actor, "subject": subject, "since": since, "until": until}
    if bootstrap.is_remote(settings.url):
        params = {k: v for k, v in filters.items() if v} | {"type": type or [], "limit": limit}
        page = _call(state, "GET", "/v1/audit", params=params)
        items: list[dict[str, Any]] = page["items"]
    else:
        services = bootstrap.build_services(settings)
        try:
            events = services.events.list_events(types=type or (), limit=limit, **filters)
        finally:
            services.close()
        items = [e.model_dump(mode="json") for e in events.items]
    if state.json:
        emit_json({"items": items, "next_cursor": None})
        return
    rows = [[short_time(e["created_at"]), e["actor"], e["type"], e["subject"]] for e in items]
    print_table(table("TIME", "ACTOR", "TYPE", "SUBJECT"), rows)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("audit")(audit)
    app.add_typer(admin_app, name="admin")
    app.add_typer(keys_app, name="api-key")


__all__ = ["register"]
