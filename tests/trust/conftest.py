"""Fixtures of the trust suite: real keys, small model folders, registries of every variant
(SQLite, PostgreSQL, and the REST app in process over HTTP), with the trust policy under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import Request

from llm_registry.domain.access import Actor
from llm_registry.embedded import EmbeddedRegistry
from llm_registry.registry import Registry
from llm_registry.settings import Settings
from llm_registry.storage.tables import metadata
from tests.conftest import REGISTRY_VARIANTS, variant_location

_TWINS: dict[int, EmbeddedRegistry] = {}


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path

    @property
    def public_pem(self) -> bytes:
        return self.public.read_bytes()


def write_key(folder: Path, name: str, key: Any) -> KeyPair:
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return KeyPair(private, public)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, KeyPair]:
    """Fresh keys: ``ed25519``, ``p256``, ``p384``, ``other`` (an Ed25519 key nobody trusts), ``rsa``."""
    folder = tmp_path / "keys"
    return {
        "ed25519": write_key(folder, "ed25519", ed25519.Ed25519PrivateKey.generate()),
        "p256": write_key(folder, "p256", ec.generate_private_key(ec.SECP256R1())),
        "p384": write_key(folder, "p384", ec.generate_private_key(ec.SECP384R1())),
        "other": write_key(folder, "other", ed25519.Ed25519PrivateKey.generate()),
        "rsa": write_key(folder, "rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    }


def model_folder(root: Path, files: dict[str, bytes] | None = None) -> Path:
    """A small model folder: a config, weights and a tokenizer in a subfolder."""
    for path, data in (files or {"config.json": b'{"layers": 2}', "model.safetensors": b"\x00\x01weights" * 64,
                                 "tokenizer/vocab.txt": b"a\nb\nc\n"}).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def model(name: str = "acme/llama-ft", version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {"kind": "model", "name": name, "version": version, "spec": {"architecture": "llama"}, **extra}


def register_folder(registry: Registry, folder: Path, name: str = "acme/llama-ft", version: str = "1.0.0",
                    **extra: Any) -> str:
    """Register a model version whose files are the folder's; answers its exact reference."""
    document = registry.register(model(name, version, **extra), files=folder_files(folder), files_root=folder)
    return document.ref


@contextmanager
def trust_registry(variant: str, location: str, **settings: Any) -> Iterator[Registry]:
    """A registry of ``variant`` with ``settings`` (the trust policy…): embedded, or remote (the REST
    app in process acting as ``tester``, its twin registered for ``twin_of``)."""
    if variant != "remote":
        with Registry.open(location, settings=Settings(**settings), actor="tester") as opened:
            yield opened
        return
    from llm_registry.api.rest.app import create_app
    from llm_registry.api.rest.inprocess import InProcessTransport
    from llm_registry.remote import RemoteRegistry

    async def as_tester(request: Request) -> Actor:
        return Actor("tester")

    app = create_app(Settings.load({"url": location, "access_log": False, **settings}, environ={}),
                     authenticator=as_tester)
    try:
        twin = Registry.open(location, settings=Settings(**settings), actor="tester")
        assert isinstance(twin, EmbeddedRegistry)
        with twin, RemoteRegistry("http://registry.test", settings=Settings.load(environ={}),
                                  transport=InProcessTransport(app)) as remote:
            _TWINS[id(remote)] = twin
            try:
                yield remote
            finally:
                del _TWINS[id(remote)]
    finally:
        app.state.store.close()


def twin_of(registry: Registry) -> EmbeddedRegistry:
    """The embedded registry on the same database (itself when embedded)."""
    return registry if isinstance(registry, EmbeddedRegistry) else _TWINS[id(registry)]


def database_state(registry: Registry) -> dict[str, list[str]]:
    """Every row of every table: equal states mean nothing was written in between."""
    engine: sa.Engine = twin_of(registry).store.engine
    with engine.connect() as connection:
        return {table.name: sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
                for table in metadata.sorted_tables}


OpenRegistry = Callable[..., Any]


@pytest.fixture(params=REGISTRY_VARIANTS)
def open_trust_registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenRegistry]:
    """Opens the registry of this variant (one per test) with the given settings."""
    location = variant_location(request.param, request, tmp_path)
    stack: list[Any] = []

    def opener(**settings: Any) -> Registry:
        context = trust_registry(request.param, location, **settings)
        stack.append(context)
        return context.__enter__()

    yield opener
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def registry(open_trust_registry: OpenRegistry) -> Registry:
    """A registry of each variant, without trust policy."""
    opened: Registry = open_trust_registry()
    return opened
