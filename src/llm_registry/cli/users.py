"""Users and namespace grants: ``users create|ls|set-role|disable``, ``grants ls|add|rm``.

The same verbs on a server (its REST API, as the logged-in user: an admin) and on a database
location (the account services directly, as the process owner, who is the admin there as in
embedded mode). Both answer the same models, printed alike.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Protocol
from urllib.parse import quote

import typer

from llm_registry import bootstrap
from llm_registry.accounts.models import NamespaceGrant, User
from llm_registry.cli.output import emit_items, emit_json, emit_model, notice, print_table, short_time, table
from llm_registry.cli.server import PasswordStdin, call, read_password
from llm_registry.cli.session import CliState, JsonOption, current_state, load_settings
from llm_registry.domain.access import Actor, Role

if TYPE_CHECKING:
    from llm_registry.accounts.services import AccountService

users_app = typer.Typer(help="Users of a server or a database: create, list, change roles, disable.",
                        no_args_is_help=True)
grants_app = typer.Typer(help="Namespace grants: who may write in a namespace.", no_args_is_help=True)


class Accounts(Protocol):
    """What the verbs ask, of a server or of a database."""

    def create_user(self, username: str, password: str, role: str) -> User: ...
    def list_users(self) -> list[User]: ...
    def update_user(self, username: str, *, role: str | None = None, disabled: bool | None = None) -> User: ...
    def list_grants(self, *, namespace: str | None, username: str | None) -> list[NamespaceGrant]: ...
    def grant(self, namespace: str, username: str) -> NamespaceGrant: ...
    def revoke(self, namespace: str, username: str) -> None: ...


class ServerAccounts:
    """Accounts of a server, through its REST API (``/v1/users``, ``/v1/namespace-grants``)."""

    def __init__(self, state: CliState) -> None:
        self.state = state

    def create_user(self, username: str, password: str, role: str) -> User:
        body = {"username": username, "password": password, "role": role}
        return User.model_validate(call(self.state, "POST", "/v1/users", body=body))

    def list_users(self) -> list[User]:
        return [User.model_validate(u) for u in call(self.state, "GET", "/v1/users")["items"]]

    def update_user(self, username: str, *, role: str | None = None, disabled: bool | None = None) -> User:
        body = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
        return User.model_validate(call(self.state, "PATCH", f"/v1/users/{_segment(username)}", body=body))

    def list_grants(self, *, namespace: str | None, username: str | None) -> list[NamespaceGrant]:
        page = call(self.state, "GET", "/v1/namespace-grants", params={"namespace": namespace, "username": username})
        return [NamespaceGrant.model_validate(g) for g in page["items"]]

    def grant(self, namespace: str, username: str) -> NamespaceGrant:
        path = f"/v1/namespace-grants/{_segment(namespace)}/{_segment(username)}"
        return NamespaceGrant.model_validate(call(self.state, "PUT", path))

    def revoke(self, namespace: str, username: str) -> None:
        call(self.state, "DELETE", f"/v1/namespace-grants/{_segment(namespace)}/{_segment(username)}")


class DatabaseAccounts:
    """Accounts of a database location, through the account services, as ``owner``."""

    def __init__(self, accounts: AccountService, owner: Actor) -> None:
        self.accounts = accounts
        self.owner = owner

    def create_user(self, username: str, password: str, role: str) -> User:
        return self.accounts.users.create_user(username, password, role, actor=self.owner)

    def list_users(self) -> list[User]:
        return self.accounts.users.list_users(actor=self.owner)

    def update_user(self, username: str, *, role: str | None = None, disabled: bool | None = None) -> User:
        return self.accounts.users.update_user(username, role=role, disabled=disabled, actor=self.owner)

    def list_grants(self, *, namespace: str | None, username: str | None) -> list[NamespaceGrant]:
        return self.accounts.grants.list_grants(actor=self.owner, namespace=namespace, username=username)

    def grant(self, namespace: str, username: str) -> NamespaceGrant:
        return self.accounts.grants.grant_namespace(namespace, username, actor=self.owner)

    def revoke(self, namespace: str, username: str) -> None:
        self.accounts.grants.revoke_namespace(namespace, username, actor=self.owner)


def _segment(value: str) -> str:
    return quote(value, safe="")


@contextmanager
def database_accounts(state: CliState) -> Iterator[DatabaseAccounts]:
    """The accounts of the database at the location, as its owner: the ``actor`` setting, else
    the OS user, with admin rights (whoever can open the database administers it)."""
    settings = load_settings(state)
    store = bootstrap.open_store(settings.url, settings)
    try:
        owner = Actor(settings.actor or getpass.getuser(), Role.ADMIN)
        yield DatabaseAccounts(bootstrap.build_account_service(store, settings), owner)
    finally:
        store.close()


@contextmanager
def open_accounts(state: CliState) -> Iterator[Accounts]:
    """The accounts of the registry location: a server's, or a database's."""
    if bootstrap.is_remote(load_settings(state).url):
        yield ServerAccounts(state)
        return
    with database_accounts(state) as accounts:
        yield accounts


def _show_user(state: CliState, user: User, text: str) -> None:
    if state.json:
        emit_model(user)
    else:
        notice(text)


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Option("--role", help="admin, developer, user or viewer.")] = "user",
    password_stdin: PasswordStdin = False,
    json_output: JsonOption = False,
) -> None:
    """Create a user (on a server, as an admin; on a database, as its owner)."""
    state = current_state(ctx, json_output)
    password = read_password(password_stdin)
    with open_accounts(state) as accounts:
        user = accounts.create_user(name, password, role)
    _show_user(state, user, f"created user {user.username} (role {user.role.value})")


@users_app.command("ls")
def list_users(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the users, by name."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        users = accounts.list_users()
    if state.json:
        emit_items(users)
        return
    rows = [[u.username, u.role.value, "disabled" if u.disabled else "active", short_time(u.created_at), u.created_by]
            for u in users]
    print_table(table("USERNAME", "ROLE", "STATE", "CREATED", "CREATED BY"), rows)


@users_app.command("set-role")
def set_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Argument(help="admin, developer, user or viewer.")],
    json_output: JsonOption = False,
) -> None:
    """Change a user's role (its API keys never outrank it)."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        user = accounts.update_user(name, role=role)
    _show_user(state, user, f"{user.username} is now {user.role.value}")


@users_app.command("disable")
def disable_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The username.")],
    json_output: JsonOption = False,
) -> None:
    """Disable a user: its sessions end and its API keys are revoked at once."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        user = accounts.update_user(name, disabled=True)
    _show_user(state, user, f"disabled {user.username}: its sessions ended and its API keys are revoked")


@grants_app.command("ls")
def list_grants(
    ctx: typer.Context,
    namespace: Annotated[str | None, typer.Option("--namespace", help="Only this namespace.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's grants.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List namespace grants, by namespace then user."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        grants = accounts.list_grants(namespace=namespace, username=user)
    if state.json:
        emit_items(grants)
        return
    rows = [[g.namespace, g.username, short_time(g.created_at), g.created_by] for g in grants]
    print_table(table("NAMESPACE", "USERNAME", "GRANTED", "GRANTED BY"), rows)


@grants_app.command("add")
def add_grant(
    ctx: typer.Context,
    namespace: Annotated[str, typer.Argument(help="The namespace.")],
    username: Annotated[str, typer.Argument(help="Who may write in it.")],
    json_output: JsonOption = False,
) -> None:
    """Let a user write in a namespace; a granted namespace is closed to everyone else (but admins)."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        grant = accounts.grant(namespace, username)
    if state.json:
        emit_model(grant)
    else:
        notice(f"{grant.username} may write in {grant.namespace}")


@grants_app.command("rm")
def remove_grant(
    ctx: typer.Context,
    namespace: Annotated[str, typer.Argument(help="The namespace.")],
    username: Annotated[str, typer.Argument(help="The grantee.")],
    json_output: JsonOption = False,
) -> None:
    """Remove a grant; a namespace left without grants is open to every writer again."""
    state = current_state(ctx, json_output)
    with open_accounts(state) as accounts:
        accounts.revoke(namespace, username)
    if state.json:
        emit_json({"namespace": namespace, "username": username})
    else:
        notice(f"{username} no longer has a grant on {namespace}")


def register(app: typer.Typer) -> None:
    """Add ``users`` and ``grants`` to ``app``."""
    app.add_typer(users_app, name="users")
    app.add_typer(grants_app, name="grants")


__all__ = ["DatabaseAccounts", "ServerAccounts", "database_accounts", "open_accounts", "register"]
