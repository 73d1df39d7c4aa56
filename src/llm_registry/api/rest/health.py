"""``/health`` (the process answers) and ``/ready`` (the database answers, its schema is current)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from llm_registry.api.rest.context import run_read
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.storage import migrate

router = APIRouter(route_class=RegistryRoute, tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    backend: str
    schema_revision: str | None


@router.get("/health", response_model=Health, name="health")
async def health(request: Request) -> Response:
    """Alive: the process answers (no database access)."""
    return respond(request, Health(status="ok"))


@router.get("/ready", response_model=Readiness, name="ready")
async def ready(request: Request) -> Response:
    """Ready: the database answers and its schema is at this release's head (else 503)."""
    store = request.app.state.store
    status = await run_read(request, migrate.schema_status, store.engine)
    return respond(request, Readiness(status="ready", backend=store.backend, schema_revision=status.require_current()))
