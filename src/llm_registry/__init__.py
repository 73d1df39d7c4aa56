"""LLM Registry: versioned models, datasets, prompts, pipelines, policies and test suites.

from llm_registry import Registry
with Registry.open("./.llm-registry") as registry:
    registry.register("model.yaml")
    print(registry.resolve("model:acme/llama-ft@^1.2").version)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_registry.assets.models import (
        Alias,
        AssetSummary,
        LabelRevision,
        Labels,
        Manifest,
        VersionDocument,
        VersionSummary,
    )
    from llm_registry.domain.pages import Page
    from llm_registry.errors import (
        ConflictError,
        ForbiddenError,
        NotFoundError,
        PolicyDeniedError,
        RateLimitedError,
        RegistryError,
        StorageError,
        UnauthenticatedError,
        ValidationError,
    )
    from llm_registry.events.models import Event
    from llm_registry.registry import Registry
    from llm_registry.settings import Settings

__version__ = "0.1.0"

# Imported on first use: `llm-registry --version` and light imports of a submodule should
# not pay for SQLAlchemy, pydantic models and the whole service stack.
_EXPORTS = {
    **dict.fromkeys(
        ["Alias", "AssetSummary", "LabelRevision", "Labels", "Manifest", "VersionDocument", "VersionSummary"],
        "llm_registry.assets.models",
    ),
    **dict.fromkeys(
        [
            "ConflictError",
            "ForbiddenError",
            "NotFoundError",
            "PolicyDeniedError",
            "RateLimitedError",
            "RegistryError",
            "StorageError",
            "UnauthenticatedError",
            "ValidationError",
        ],
        "llm_registry.errors",
    ),
    "Event": "llm_registry.events.models",
    "Page": "llm_registry.domain.pages",
    "Registry": "llm_registry.registry",
    "Settings": "llm_registry.settings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llm_registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Alias",
    "AssetSummary",
    "ConflictError",
    "Event",
    "ForbiddenError",
    "LabelRevision",
    "Labels",
    "Manifest",
    "NotFoundError",
    "Page",
    "PolicyDeniedError",
    "RateLimitedError",
    "Registry",
    "RegistryError",
    "Settings",
    "StorageError",
    "UnauthenticatedError",
    "ValidationError",
    "VersionDocument",
    "VersionSummary",
    "__version__",
]
