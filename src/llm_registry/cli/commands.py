"""The command index: every command module's commands, known by name and help from what the
module registered, and turned into click commands only when one is run or its help shown.

typer turns each command's signature into click parameters when the application starts; over
every module that is most of the start-up of ``--help``. Here the modules still register their
commands with ``register(app)`` (on an application of their own), and the root group converts
the one the command line names.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from gettext import gettext
from typing import Any, ClassVar, Protocol, cast

import typer
import typer.main
from typer.core import MarkupMode, TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo


class CommandModule(Protocol):
    def register(self, app: typer.Typer) -> None: ...


def load_command_module(name: str) -> CommandModule:
    """Import a command module; raises TypeError when it has no ``register(app)``."""
    module = importlib.import_module(name)
    if not callable(getattr(module, "register", None)):
        raise TypeError(f"{name} has no register(app) function")
    return cast(CommandModule, module)


@dataclass(frozen=True, slots=True)
class Conversion:
    """How typer converts the commands of an application (its root's settings)."""

    pretty_exceptions_short: bool
    rich_markup_mode: MarkupMode
    suggest_commands: bool

    @classmethod
    def of(cls, app: typer.Typer) -> Conversion:
        return cls(app.pretty_exceptions_short, app.rich_markup_mode, app.suggest_commands)


@dataclass(frozen=True, slots=True)
class Entry:
    """A top-level command or group as its module registered it, not converted yet."""

    name: str
    info: CommandInfo | TyperInfo
    # What the listing of ``--help`` shows, as typer would give it to the click command.
    help: str | None
    short_help: str | None
    hidden: bool
    deprecated: bool

    @classmethod
    def of_command(cls, info: CommandInfo) -> Entry:
        assert info.callback is not None, "a command must have a callback function"
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        help_text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        return cls(name, info, help_text, info.short_help, info.hidden, info.deprecated)

    @classmethod
    def of_group(cls, info: TyperInfo) -> Entry:
        solved = typer.main.solve_typer_info_defaults(info)
        if not solved.name:
            raise TypeError("a command group needs a name (add_typer(app, name=...) or Typer(name=...))")
        return cls(solved.name, info, solved.help, solved.short_help, bool(solved.hidden), bool(solved.deprecated))

    def convert(self, how: Conversion) -> Any:
        """The click command or group, as typer builds it."""
        if isinstance(self.info, CommandInfo):
            return typer.main.get_command_from_info(
                self.info, pretty_exceptions_short=how.pretty_exceptions_short, rich_markup_mode=how.rich_markup_mode
            )
        return typer.main.get_group_from_info(
            self.info, pretty_exceptions_short=how.pretty_exceptions_short, rich_markup_mode=how.rich_markup_mode,
            suggest_commands=how.suggest_commands,
        )

    def stand_in(self) -> TyperCommand:
        """A command with this one's help alone: enough for the listing of ``--help``."""
        return TyperCommand(self.name, help=self.help, short_help=self.short_help, hidden=self.hidden,
                            deprecated=self.deprecated)


def index_modules(names: Sequence[str]) -> list[Entry]:
    """The top-level commands of ``names``, in the order typer lists them (every module's
    commands, then every module's groups); raises TypeError for a module without ``register``
    and ValueError for a name registered twice."""
    commands: list[Entry] = []
    groups: list[Entry] = []
    for name in names:
        module_app = typer.Typer()
        load_command_module(name).register(module_app)
        commands.extend(Entry.of_command(info) for info in module_app.registered_commands)
        groups.extend(Entry.of_group(info) for info in module_app.registered_groups)
    entries = commands + groups
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise ValueError(f"command {entry.name!r} is registered twice")
        seen.add(entry.name)
    return entries


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name: each converted on first access, then kept."""

    def __init__(self, entries: Sequence[Entry], how: Conversion) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._how = how
        self._converted: dict[str, Any] = {}
        self._names = dict.fromkeys(self._entries)

    def __getitem__(self, name: str) -> Any:
        command = self._converted.get(name)
        if command is None:
            command = self._converted[name] = self._entries[name].convert(self._how)
        return command

    def __setitem__(self, name: str, command: Any) -> None:
        self._converted[name] = command
        self._names[name] = None

    def __delitem__(self, name: str) -> None:
        del self._names[name]
        self._converted.pop(name, None)
        self._entries.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def converted(self) -> list[str]:
        """The names converted so far."""
        return list(self._converted)

    def summary(self, name: str) -> Any:
        """The command for the listing of ``--help``: the converted one, else its entry's stand-in."""
        if name in self._converted:
            return self._converted[name]
        entry = self._entries.get(name)
        return entry.stand_in() if entry is not None else None


class LazyGroup(TyperGroup):
    """A group whose commands come from ``entries``, converted when the command line names one.
    typer builds a group from its class: ``lazy_group`` makes the class that holds them."""

    entries: ClassVar[Sequence[Entry]] = ()
    conversion: ClassVar[Conversion]

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.entries, self.conversion)

    def list_commands(self, ctx: Any) -> list[str]:
        """The names in order (typer's own reads every command to list them)."""
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The ``Commands`` section of ``--help`` as typer writes it, without converting them."""
        lazy = cast(LazyCommands, self.commands)
        commands = []
        for name in self.list_commands(ctx):
            command = lazy.summary(name)
            if command is None or command.hidden:
                continue
            commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section(gettext("Commands")):
                formatter.write_dl(rows)


def lazy_group(base: type[LazyGroup], entries: Sequence[Entry], conversion: Conversion) -> type[LazyGroup]:
    """A subclass of ``base`` whose groups hold ``entries``."""
    return type(base.__name__, (base,), {"entries": tuple(entries), "conversion": conversion})
