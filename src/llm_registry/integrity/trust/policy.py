"""The trust policy: per kind and namespace, whether a valid signature from a trusted signer is
required (``enforce``), reported (``warn``) or ignored (``off``).

Written as the ``trust_policy`` setting, comma-separated ``SCOPE=MODE`` rules where SCOPE is
``[KIND:]PATTERN``: KIND a kind (``model``) or ``*``, PATTERN a glob over ``namespace/name``
(``*`` matches any characters, ``/`` too). The first rule that matches a version decides; a
version no rule matches is ``off``. ``model:prod/*=enforce,*=warn`` requires signatures on models
of namespace ``prod`` and reports unsigned versions everywhere else.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from enum import StrEnum

from llm_registry.domain.kinds import Kind


class TrustMode(StrEnum):
    ENFORCE = "enforce"
    WARN = "warn"
    OFF = "off"


_PATTERN = re.compile(r"[a-z0-9*?._/-]+")


@dataclass(frozen=True, slots=True)
class TrustRule:
    kind: Kind | None  # None: every kind
    pattern: str
    mode: TrustMode

    def matches(self, kind: Kind, name: str) -> bool:
        return (self.kind is None or self.kind is kind) and fnmatch.fnmatchcase(name, self.pattern)

    def __str__(self) -> str:
        scope = self.pattern if self.kind is None else f"{self.kind.value}:{self.pattern}"
        return f"{scope}={self.mode.value}"


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    rules: tuple[TrustRule, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustPolicy:
        """The policy of a ``trust_policy`` setting; raises ValueError saying what is wrong."""
        rules = []
        for item in text.split(","):
            if not item.strip():
                continue
            scope, equals, mode = item.strip().partition("=")
            scope, mode = scope.strip(), mode.strip().lower()
            if not equals or not scope:
                raise ValueError(f"{item.strip()!r}: expected SCOPE=MODE, such as model:prod/*=enforce")
            if mode not in TrustMode.__members__.values():
                raise ValueError(f"{item.strip()!r}: the mode {mode!r} is not enforce, warn or off")
            kind_text, colon, pattern = scope.rpartition(":")
            kind = None
            if colon and kind_text != "*":
                try:
                    kind = Kind(kind_text)
                except ValueError:
                    kinds = ", ".join(k.value for k in Kind)
                    raise ValueError(f"{item.strip()!r}: unknown kind {kind_text!r} (one of {kinds}, or *)") from None
            if not _PATTERN.fullmatch(pattern):
                raise ValueError(f"{item.strip()!r}: the pattern is a glob over namespace/name, such as prod/*")
            rules.append(TrustRule(kind, pattern, TrustMode(mode)))
        return cls(tuple(rules))

    def rule_for(self, kind: Kind, name: str) -> TrustRule | None:
        """The first rule matching a version of ``kind`` named ``namespace/name``, or None (off)."""
        for rule in self.rules:
            if rule.matches(kind, name):
                return rule
        return None

    def mode_for(self, kind: Kind, name: str) -> TrustMode:
        rule = self.rule_for(kind, name)
        return rule.mode if rule is not None else TrustMode.OFF

    @property
    def active(self) -> bool:
        """Whether any rule asks for something (all ``off``, or no rule: nothing to check)."""
        return any(rule.mode is not TrustMode.OFF for rule in self.rules)

    def __str__(self) -> str:
        return ",".join(str(rule) for rule in self.rules)
