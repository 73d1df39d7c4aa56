"""Human views of the registry's models (the ``--json`` path prints the models instead).

rich and yaml are imported when a view is printed: every command loads this module at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from llm_registry.cli.output import print_renderable, print_table, short_digest, short_time, table

if TYPE_CHECKING:
    import yaml

    from llm_registry.assets.models import Alias, AssetSummary, LabelRevision, Labels, VersionDocument, VersionSummary
    from llm_registry.events.models import Event


@cache
def _block_dumper() -> type[yaml.SafeDumper]:
    """A YAML dumper that writes multi-line strings (prompt templates, cards) as ``|`` blocks,
    the way they were written."""
    import yaml

    class BlockDumper(yaml.SafeDumper):
        pass

    def represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    BlockDumper.add_representer(str, represent_text)
    return BlockDumper


def _yaml(value: Any) -> str:
    import yaml

    text = yaml.dump(value, Dumper=_block_dumper(), sort_keys=False, allow_unicode=True, default_flow_style=False)
    return str(text).rstrip()


def _annotations(labels: Labels) -> str:
    return ", ".join(f"{key}={value}" for key, value in labels.annotations.items())


def show_document(document: VersionDocument, *, heading: str | None = None) -> None:
    """A version document as a block of ``field  value`` lines."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    status = document.status.value
    if document.status_message:
        status += f" — {document.status_message}"
    if document.replacement:
        status += f" (use {document.replacement})"
    rows: list[tuple[str, str]] = [
        ("status", status),
        ("digest", document.digest),
        ("created", f"{short_time(document.created_at)} by {document.created_by}"),
        ("updated", f"{short_time(document.updated_at)} (label revision {document.revision})"),
        ("aliases", ", ".join(document.aliases)),
        ("description", document.labels.description or ""),
        ("license", document.labels.license or ""),
        ("tags", ", ".join(document.labels.tags)),
        ("annotations", _annotations(document.labels)),
    ]
    content = document.content
    if content is not None:
        parts = [f"{content.size} bytes" if content.size is not None else "",
                 content.media_type or "", content.uri or "", content.digest or ""]
        rows.append(("content", ", ".join(p for p in parts if p)))
        for entry in content.files or []:
            rows.append(("file", f"{entry.path}  {entry.size} bytes  {entry.digest}"))
    for pin in document.pins:
        rows.append(("dependency", f"{pin.relation.value} {pin.ref} → {pin.version} ({short_digest(pin.digest)})"))
    for key, value in rows:
        if value:
            grid.add_row(key, value)
    if document.labels.card:
        grid.add_row("card", document.labels.card.rstrip())
    if document.spec:
        grid.add_row("spec", _yaml(document.spec))
    if document.provenance:
        grid.add_row("provenance", _yaml(document.provenance))
    print_renderable(Group(Text(heading or document.ref, style="bold"), grid))


def show_versions(items: Sequence[VersionSummary]) -> None:
    print_table(
        table("VERSION", "STATUS", "ALIASES", "CREATED", "BY", "DIGEST"),
        ((v.version, v.status.value, ", ".join(v.aliases), short_time(v.created_at), v.created_by,
          short_digest(v.digest)) for v in items),
    )


def show_assets(items: Sequence[AssetSummary]) -> None:
    print_table(
        table("ASSET", "LATEST", "VERSIONS", "ALIASES", "CREATED"),
        ((f"{a.kind.value}:{a.name}", a.latest or "", str(a.version_count),
          ", ".join(f"{name}={version}" for name, version in a.aliases.items()), short_time(a.created_at))
         for a in items),
    )


def show_aliases(items: Sequence[Alias]) -> None:
    print_table(
        table("ALIAS", "VERSION", "UPDATED", "BY"),
        ((a.name, a.version, "(implicit)" if a.implicit else short_time(a.updated_at), a.updated_by or "")
         for a in items),
    )


def show_history(items: Sequence[LabelRevision]) -> None:
    print_table(
        table("REVISION", "CREATED", "BY", "DESCRIPTION", "LICENSE", "TAGS", "ANNOTATIONS"),
        ((str(r.revision), short_time(r.created_at), r.created_by, r.labels.description or "",
          r.labels.license or "", ", ".join(r.labels.tags), _annotations(r.labels)) for r in items),
    )


def show_events(items: Sequence[Event]) -> None:
    print_table(
        table("CURSOR", "TIME", "TYPE", "SUBJECT", "ACTOR"),
        ((e.cursor, short_time(e.created_at), e.type, e.subject, e.actor) for e in items),
    )


def event_line(event: Event) -> str:
    """One event as an aligned line, for ``events --follow`` (under ``EVENT_HEADER``)."""
    return (f"{event.cursor:>6}  {short_time(event.created_at):<20}  {event.type:<22}  {event.subject:<48}  "
            f"{event.actor}").rstrip()


EVENT_HEADER = f"{'CURSOR':>6}  {'TIME':<20}  {'TYPE':<22}  {'SUBJECT':<48}  ACTOR"


def rendered_text(rendered: dict[str, Any]) -> str:
    """A rendered prompt as plain text: the text itself, or ``role: content`` per message."""
    if "text" in rendered:
        return str(rendered["text"])
    return "\n".join(f"{message.get('role')}: {message.get('content')}" for message in rendered.get("messages", []))
