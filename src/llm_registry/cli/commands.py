"""The command index: every command known by name and help without importing its module, and
turned into a click command only when one is run or its own help shown.

typer turns each command's signature into click parameters when the application starts, and
listing the commands would import every command module; over all of them that is most of a
command's start-up. The modules still register their commands with ``register(app)`` (on an
application of their own); ``cli/index.py``, written by ``scripts/cli-index`` from what they
register, lists each command's name, module and help, so ``--help`` imports no command module
and a run imports the one module that holds the command it names. A module the index does not
cover yet is imported and indexed at start-up, so a new module works before the index is
rewritten (a test fails until it is).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
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


def registered(module: str) -> typer.Typer:
    """An application with only the commands of ``module`` registered."""
    application = typer.Typer()
    load_command_module(module).register(application)
    return application


@dataclass(frozen=True, slots=True)
class Conversion:
    """How typer converts the commands of an application (its root's settings)."""

    pretty_exceptions_short: bool
    rich_markup_mode: MarkupMode
    suggest_commands: bool

    @classmethod
    def of(cls, app: typer.Typer) -> Conversion:
        return cls(app.pretty_exceptions_short, app.rich_markup_mode, app.suggest_commands)


def _command_name(info: CommandInfo) -> str:
    assert info.callback is not None, "a command must have a callback function"
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _group_info(info: TyperInfo) -> TyperInfo:
    solved = typer.main.solve_typer_info_defaults(info)
    if not solved.name:
        raise TypeError("a command group needs a name (add_typer(app, name=...) or Typer(name=...))")
    return solved


@dataclass(frozen=True, slots=True)
class Entry:
    """A top-level command or group: its name, the module that registers it, and what the
    listing of ``--help`` shows of it (as typer would give it to the click command)."""

    name: str
    module: str
    group: bool
    help: str | None
    short_help: str | None
    hidden: bool
    deprecated: bool

    @classmethod
    def of_command(cls, module: str, info: CommandInfo) -> Entry:
        assert info.callback is not None, "a command must have a callback function"
        help_text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        return cls(_command_name(info), module, False, help_text, info.short_help, info.hidden, info.deprecated)

    @classmethod
    def of_group(cls, module: str, info: TyperInfo) -> Entry:
        solved = _group_info(info)
        assert solved.name
        return cls(solved.name, module, True, solved.help, solved.short_help, bool(solved.hidden),
                   bool(solved.deprecated))

    def info(self, application: typer.Typer) -> CommandInfo | TyperInfo:
        """This command's registration in ``application`` (its module's); raises LookupError when
        the module no longer registers it (the index is out of date)."""
        if self.group:
            for group in application.registered_groups:
                if _group_info(group).name == self.name:
                    return group
        else:
            for command in application.registered_commands:
                if _command_name(command) == self.name:
                    return command
        raise LookupError(f"{self.module} registers no command {self.name!r}: run scripts/cli-index")

    def convert(self, application: typer.Typer, how: Conversion) -> Any:
        """The click command or group, as typer builds it from ``application`` (its module's)."""
        info = self.info(application)
        if isinstance(info, CommandInfo):
            return typer.main.get_command_from_info(
                info, pretty_exceptions_short=how.pretty_exceptions_short, rich_markup_mode=how.rich_markup_mode
            )
        return typer.main.get_group_from_info(
            info, pretty_exceptions_short=how.pretty_exceptions_short, rich_markup_mode=how.rich_markup_mode,
            suggest_commands=how.suggest_commands,
        )

    def stand_in(self) -> TyperCommand:
        """A command with this one's help alone: enough for the listing of ``--help``."""
        return TyperCommand(self.name, help=self.help, short_help=self.short_help, hidden=self.hidden,
                            deprecated=self.deprecated)


def module_entries(module: str, application: typer.Typer) -> list[Entry]:
    """The top-level commands ``application`` holds, registered by ``module``."""
    return [
        *(Entry.of_command(module, info) for info in application.registered_commands),
        *(Entry.of_group(module, info) for info in application.registered_groups),
    ]


def arrange(entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` (in module order) in the order typer lists them: every module's commands, then
    every module's groups; raises ValueError for a name registered twice."""
    listed = list(entries)
    ordered = [entry for entry in listed if not entry.group] + [entry for entry in listed if entry.group]
    seen: set[str] = set()
    for entry in ordered:
        if entry.name in seen:
            raise ValueError(f"command {entry.name!r} is registered twice")
        seen.add(entry.name)
    return ordered


def index_modules(names: Sequence[str]) -> list[Entry]:
    """The top-level commands of ``names``, each module imported; raises TypeError for a module
    without ``register`` and ValueError for a name registered twice."""
    return arrange(entry for name in names for entry in module_entries(name, registered(name)))


def indexed_entries(names: Sequence[str], index: Sequence[Entry]) -> list[Entry]:
    """The top-level commands of ``names``: from ``index`` for the modules it covers, the others
    imported and indexed now."""
    by_module: dict[str, list[Entry]] = {}
    for entry in index:
        by_module.setdefault(entry.module, []).append(entry)
    found: list[Entry] = []
    for name in names:
        covered = by_module.get(name)
        found.extend(covered if covered is not None else module_entries(name, registered(name)))
    return arrange(found)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name: each converted on first access, then kept."""

    def __init__(self, entries: Sequence[Entry], how: Conversion) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._how = how
        self._converted: dict[str, Any] = {}
        self._names = dict.fromkeys(self._entries)
        # Each module's application, registered when one of its commands is first converted.
        self._applications: dict[str, typer.Typer] = {}

    def __getitem__(self, name: str) -> Any:
        command = self._converted.get(name)
        if command is None:
            entry = self._entries[name]
            application = self._applications.get(entry.module)
            if application is None:
                application = self._applications[entry.module] = registered(entry.module)
            command = self._converted[name] = entry.convert(application, self._how)
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
