"""The reference section of docs/python-api.md, rendered from the ``Registry`` protocol.

``python -m tests.docs.api_reference`` (what ``./scripts/api-docs`` runs) writes it into the page;
``--check`` only says whether the page is current. tests/docs/test_python_api.py fails when it is not.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

from llm_registry.registry import Registry
from tests.docs.markdown import DOCS

PAGE = DOCS / "python-api.md"
BEGIN, END = "<!-- api reference -->\n", "<!-- end api reference -->\n"
SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), flags=re.DOTALL)


def public_methods() -> list[tuple[str, Callable[..., Any]]]:
    """``Registry.open``, then the protocol's public methods in the order it declares them."""
    methods: list[tuple[str, Callable[..., Any]]] = [("open", type(Registry).__dict__["open"])]
    methods += [(name, value) for name, value in vars(Registry).items()
                if not name.startswith("_") and inspect.isfunction(value)]
    return methods


def signature(name: str, function: Callable[..., Any]) -> str:
    """``name(parameters) -> returns`` as the source writes the annotations, without self or cls."""
    parts: list[str] = []
    keyword_only = False
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            parts.append("*")
            keyword_only = True
        text = parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    returns = inspect.signature(function).return_annotation
    return f"{name}({', '.join(parts)}) -> {returns}"


def markdown_doc(documented: Any) -> str:
    """The docstring, its reStructuredText literals written as Markdown code."""
    doc = inspect.getdoc(documented)
    assert doc, f"{documented.__qualname__} has no docstring"
    return doc.replace("``", "`")


def render() -> str:
    """The reference section, markers included."""
    lines = [BEGIN.rstrip("\n"), "", markdown_doc(Registry), ""]
    for name, function in public_methods():
        shown = "Registry.open" if name == "open" else f"registry.{name}"
        lines += [f"### `{shown}`", "", f"`{signature(shown, function)}`", "", markdown_doc(function), ""]
    lines.append(END.rstrip("\n"))
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    text = PAGE.read_text(encoding="utf-8")
    assert SECTION.search(text), f"{PAGE} has no {BEGIN.strip()} … {END.strip()} section"
    updated = SECTION.sub(lambda _: render(), text)
    if "--check" in arguments:
        if updated != text:
            print(f"{PAGE} is out of date: run ./scripts/api-docs", file=sys.stderr)
            return 1
        return 0
    if updated != text:
        PAGE.write_text(updated, encoding="utf-8")
        print(f"updated {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
