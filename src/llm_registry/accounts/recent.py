"""Actors of credentials checked lately, valid while the database has not changed since.

Every authenticated request reads its session or API key (revoked? owner disabled? role?),
and that read costs about as much as the request's own. Where the store can say cheaply
whether anything at all was committed since (SQLite's ``PRAGMA data_version``: a counter in
shared memory that changes with every commit of any connection of any process), the answer
of the last read is kept and used again as long as the counter has not moved: a revocation,
a disabled user or a changed role is a commit, so it moves the counter and the next request
reads the database again. Times still pass without commits, so each answer also keeps when
it stops being good (expiry, or a key's last-used time being due for an update).

Entries are keyed by the SHA-256 of the credential, never the credential itself.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from llm_registry.domain.access import Actor

MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    actor: Actor
    version: int
    good_until: float  # POSIX time after which the answer must be read again


class RecentCredentials:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(credential: str) -> bytes:
        return hashlib.sha256(credential.encode()).digest()

    def get(self, key: bytes, version: int, now: float) -> Actor | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version or now >= entry.good_until:
            return None
        return entry.actor

    def put(self, key: bytes, actor: Actor, version: int, good_until: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = _Entry(actor, version, good_until)
