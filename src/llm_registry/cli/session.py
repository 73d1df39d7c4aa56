"""What every command shares: the global options, the ``--json`` flag and opening the registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from llm_registry.registry import Registry
    from llm_registry.settings import Settings


@dataclass
class CliState:
    """The global options, kept on the root context for every command below it."""

    registry: str | None = None
    json: bool = False


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (the shapes of the REST API) instead of tables.")
]


def current_state(ctx: typer.Context, json_flag: bool = False) -> CliState:
    """The state of this invocation; a verb's own ``--json`` switches JSON on for the whole run."""
    state = ctx.find_object(CliState)
    if state is None:  # a command invoked without the root callback (only ever in embedding code)
        state = ctx.ensure_object(CliState)
    if json_flag:
        state.json = True
    return state


def load_settings(state: CliState) -> Settings:
    """Settings from the environment, with ``--registry`` over ``LLM_REGISTRY_URL``."""
    from llm_registry.settings import Settings

    return Settings.load({"url": state.registry})


@contextmanager
def open_registry(state: CliState) -> Iterator[Registry]:
    """The registry at the chosen location, closed on the way out; raises RegistryError."""
    from llm_registry.registry import Registry

    settings = load_settings(state)
    # The actor is the registry's choice: LLM_REGISTRY_ACTOR, else the OS user.
    with Registry.open(settings=settings) as registry:
        yield registry
