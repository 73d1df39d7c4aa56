"""LLM Registry: versioned models, datasets, prompts, pipelines, policies and test suites.

    from llm_registry import Registry
    with Registry.open("./.llm-registry") as registry:
        registry.register("model.yaml")
        print(registry.resolve("model:acme/llama-ft@^1.2").version)
"""

from llm_registry.assets.models import (
    Alias,
    AssetSummary,
    LabelRevision,
    Labels,
    Manifest,
    Page,
    VersionDocument,
    VersionSummary,
)
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
