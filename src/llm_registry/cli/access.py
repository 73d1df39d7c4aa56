"""Access: ``login``, ``logout``, ``admin create-user``, ``api-key create|ls|revoke``, ``audit``; and
(from ``cli.users``) ``users …`` and ``grants …``."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer

from llm_registry import bootstrap
from llm_registry.cli import users
from llm_registry.cli.output import emit_json, notice, print_table, short_time, table
from llm_registry.cli.server import PasswordStdin, call, read_password, server_url
from llm_registry.cli.session import JsonOption, current_state, load_settings
from llm_registry.cli.users import database_accounts
from llm_registry.errors import ValidationError

admin_app = typer.Typer(help="Administer a registry's database directly (first admin, …).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of the logged-in user on a server.", no_args_is_help=True)

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
    from llm_registry.problems import error_from_response

    state = current_state(ctx, json_output)
    name = username or getpass.getuser()
    password = read_password(password_stdin)
    with httpx.Client(base_url=credentials.server_key(url), timeout=load_settings(state).request_timeout) as client:
        response = client.post("/v1/auth/login", json={"username": name, "password": password})
    if not response.is_success:
        raise error_from_response(response)
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
    server = credentials.server_key(url) if url else server_url(state)
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
    if bootstrap.is_remote(load_settings(state).url):
        raise ValidationError("admin commands work on a database location, not a server (there: users create)",
                              code="invalid_parameter", field="url")
    password = read_password(password_stdin)
    with database_accounts(state) as accounts:
        user = accounts.create_user(name, password, role)
    if state.json:
        emit_json(user.model_dump(mode="json"))
    else:
        notice(f"created user {user.username} (role {user.role.value})")


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
    created = call(state, "POST", "/v1/api-keys", body={"name": name, "role": role, "expires_at": expires})
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
    page = call(state, "GET", "/v1/api-keys", params={"all": "true"} if every_user else None)
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
    revoked = call(state, "DELETE", f"/v1/api-keys/{key_id}")
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
        page = call(state, "GET", "/v1/audit", params=params)
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
    # Users and grants are a module of their own, registered with the other access commands.
    users.register(app)


__all__ = ["register"]
