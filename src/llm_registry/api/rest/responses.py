"""The ``responses`` each kind of route declares in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from llm_registry.api.rest.errors import BODY_PROBLEMS, COMMON_PROBLEMS, CONFLICT_PROBLEMS

Responses = dict[int | str, dict[str, Any]]

NOT_MODIFIED: Responses = {304: {"description": "Not modified: `If-None-Match` matched the ETag"}}
READ: Responses = {**NOT_MODIFIED, **COMMON_PROBLEMS}
WRITE: Responses = {**COMMON_PROBLEMS, **BODY_PROBLEMS, **CONFLICT_PROBLEMS}
DELETE: Responses = {**COMMON_PROBLEMS, **CONFLICT_PROBLEMS}
BODY: Responses = {**COMMON_PROBLEMS, **BODY_PROBLEMS}
