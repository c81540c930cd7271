"""``POST /api/copilot/draft``: a workflow document drafted, or revised, by the model."""

from typing import Any

from fastapi import APIRouter

from app.api.deps import ResourcesDep, Writer
from app.api.errors import ERROR_RESPONSES, ErrorBody
from app.api.schemas.copilot import DraftIn, DraftRead
from app.copilot import Copilot

router = APIRouter(prefix="/api/copilot", tags=["copilot"], responses=ERROR_RESPONSES)


UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorBody, "description": "The model failed, or its drafts stayed invalid"}
}


@router.post("/draft", responses=UPSTREAM)
async def draft(body: DraftIn, caller: Writer, resources: ResourcesDep) -> DraftRead:
    """Draft a workflow document from `prompt` (or revise `document` by `instruction`) with
    the configured model, from the document's JSON Schema and the installed connectors'
    actions; checked by the same validator as a save, drafts it refuses sent back to the
    model with its errors (at most twice). Nothing is saved. 503 names the setting when no
    model is configured."""
    copilot = Copilot(
        resources.workflows.parser,
        resources.registry,
        resources.integrations,
        resources.secrets,
        resources.gateway.services,
    )
    if body.document is not None and body.instruction is not None:
        found = await copilot.draft(caller.tenant_id, body.instruction, body.document)
    else:
        assert body.prompt is not None  # checked by DraftIn
        found = await copilot.draft(caller.tenant_id, body.prompt)
    return DraftRead.of(found)
