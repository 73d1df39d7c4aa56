"""What the trust routes share: the app's trust services."""

from __future__ import annotations

from fastapi import Request

from llm_registry.errors import NotFoundError
from llm_registry.integrity.trust.services import TrustService
from llm_registry.services import Services


async def get_trust(request: Request) -> TrustService:
    """The app's trust services (built by ``create_app``); NotFoundError on an app without them."""
    services: Services = request.app.state.services
    if services.trust is None:
        raise NotFoundError("this server has no trust services")
    return services.trust
