"""The pages name only commands and methods that exist: every ``llm-registry VERB`` is a command
of the CLI, every ``registry.method(`` a method of the Python API. (Routes: tests/api/test_docs.py.)"""

from __future__ import annotations

import re

from tests.cli.conftest import is_group, walk_commands
from tests.docs.api_reference import public_methods
from tests.docs.markdown import PAGES, page_name

INVOCATION = re.compile(r"(?:^|(?<=[\s`(|$]))(?:llm-registry|\./scripts/registry)((?:[ \t]+[^\s`|;&)]+)*)",
                        flags=re.MULTILINE)
# Global options and their values, as the pages write them before a verb.
GLOBAL = re.compile(r"^(\[?--registry(?:[ =]\S+?)?\]?|\[?--json\]?|--version|--help|-C|LOCATION\]?)$")
WORD = re.compile(r"[a-z][a-z-]*")


def invoked_commands() -> list[tuple[str, str]]:
    """(page, "verb" or "group verb") for every ``llm-registry …`` a page writes."""
    found: list[tuple[str, str]] = []
    for page in PAGES:
        for match in INVOCATION.finditer(page.read_text(encoding="utf-8")):
            words = match.group(1).split()
            while words and (GLOBAL.match(words[0]) or (words[0].startswith(("http", "postgresql", "sqlite", "./"))
                                                         and len(words) > 1)):
                words.pop(0)
            if words and WORD.fullmatch(words[0]):
                found.append((page_name(page), " ".join(words[:2])))
    return found


def test_every_command_the_pages_run_exists() -> None:
    commands = dict(walk_commands())
    unknown = []
    for page, words in invoked_commands():
        verb, _, sub = words.partition(" ")
        if verb not in commands:
            unknown.append(f"{page}: llm-registry {verb}")
        elif is_group(commands[verb]) and WORD.fullmatch(sub) and f"{verb} {sub}" not in commands:
            unknown.append(f"{page}: llm-registry {verb} {sub}")
    assert len(invoked_commands()) > 100
    assert not unknown, "the docs run commands the CLI does not have:\n" + "\n".join(sorted(set(unknown)))


def test_every_method_the_pages_call_exists() -> None:
    methods = {name for name, _ in public_methods()}
    unknown = sorted({f"{page_name(page)}: registry.{name}" for page in PAGES
                      for name in re.findall(r"\bregistry\.(\w+)\(", page.read_text(encoding="utf-8"))
                      if name not in methods})
    unknown += sorted({f"{page_name(page)}: Registry.{name}" for page in PAGES
                       for name in re.findall(r"\bRegistry\.(\w+)\(", page.read_text(encoding="utf-8"))
                       if name != "open"})
    assert not unknown, "the docs call methods the Python API does not have:\n" + "\n".join(unknown)


def test_the_readme_links_every_page_of_the_docs() -> None:
    from tests.docs.markdown import DOCS, ROOT

    documentation = (ROOT / "README.md").read_text(encoding="utf-8").split("## Documentation", 1)[1]
    documentation = documentation.split("\n## ", 1)[0]
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if f"(docs/{page.name})" not in documentation]
    assert not missing, f"the README's documentation list does not link: {missing}"


def test_the_remote_page_maps_every_method_to_its_requests() -> None:
    from tests.docs.markdown import DOCS

    text = (DOCS / "remote.md").read_text(encoding="utf-8")
    table = text.split("## How methods map to requests", 1)[1].split("\n\n", 2)[1]
    mapped = set(re.findall(r"`(\w+)(?:\(|`)", table))
    missing = [name for name, _ in public_methods() if name != "open" and name not in mapped]
    assert not missing, f"docs/remote.md does not say which requests these make: {missing}"
