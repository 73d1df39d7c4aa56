"""The REST API v1 (§3.4): ``create_app(settings)`` builds the FastAPI application.

One module per resource (assets, versions, aliases, resolve, prompts, events, health);
each handler parses, calls a service and serialises. Errors are mapped once in ``errors``.
"""

from __future__ import annotations

from llm_registry.api.rest.app import create_app
from llm_registry.api.rest.context import RequestContext
from llm_registry.domain.access import Actor

__all__ = ["Actor", "RequestContext", "create_app"]
