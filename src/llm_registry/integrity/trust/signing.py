"""Signing where the private key is: the statement of a version, in a DSSE envelope signed with
a local key. The key never leaves the client; only the envelope is sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from llm_registry.assets.models import VersionDocument
from llm_registry.domain.digests import canonical_json
from llm_registry.errors import ValidationError
from llm_registry.integrity.trust import dsse
from llm_registry.integrity.trust.statements import statement_for

if TYPE_CHECKING:  # keys imports ``cryptography``: loaded when a key is, not with the Python API
    from llm_registry.integrity.trust.keys import SigningKey

    KeyInput: TypeAlias = SigningKey | Path | str | bytes


def signing_key(key: KeyInput, *, password: str | None = None) -> SigningKey:
    """A signing key from a key, a PEM file's path, or PEM text; raises ValidationError (``invalid_key``)."""
    from llm_registry.integrity.trust.keys import SigningKey, load_private_key

    if isinstance(key, SigningKey):
        return key
    if isinstance(key, Path):
        try:
            data = key.expanduser().read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {key}: {exc.strerror}", code="invalid_key", field="key") from None
        return load_private_key(data, password=password)
    return load_private_key(key, password=password)


def sign_version(version: VersionDocument, key: SigningKey, *, format: str = "registry") -> dsse.Envelope:
    """A DSSE envelope over the ``format`` statement (``registry`` or ``model-signing``) of ``version``."""
    return dsse.sign(canonical_json(statement_for(version, format)), key)
