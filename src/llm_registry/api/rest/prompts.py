"""``POST /v1/prompts/{namespace}/{name}/versions/{version}/render``: render a prompt version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from llm_registry.api.rest import responses
from llm_registry.api.rest.context import RequestContext, get_context, get_services, run_read
from llm_registry.api.rest.encoding import RegistryRoute, respond
from llm_registry.api.rest.params import Collection, NamePath, NamespacePath, VersionPath, version_reference
from llm_registry.services import Services

router = APIRouter(route_class=RegistryRoute, tags=["prompts"])


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict, description="Values of the prompt's variables")


class Message(BaseModel):
    role: str
    content: str


class Rendered(BaseModel):
    """The rendered prompt: ``text`` for a template prompt, ``messages`` for a chat prompt."""

    text: str | None = None
    messages: list[Message] | None = None


@router.post("/v1/prompts/{namespace}/{name}/versions/{version}/render", response_model=Rendered,
             responses=responses.BODY, name="render_prompt")
async def render_prompt(
    request: Request,
    namespace: NamespacePath,
    name: NamePath,
    version: VersionPath,
    body: RenderRequest,
    context: RequestContext = Depends(get_context),
    services: Services = Depends(get_services),
) -> Response:
    """Validate the variables against the prompt's schema and render it (422 ``invalid_variables``)."""
    ref = version_reference(Collection.PROMPTS, namespace, name, version)
    rendered = await run_read(request, services.catalog.render, ref, body.variables)
    return respond(request, rendered)
