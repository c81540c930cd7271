"""``POST /api/copilot/draft``: a workflow document drafted, or revised, by the model;
``GET /api/copilot``: whether it can draft now."""

from fastapi import APIRouter

from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep, Writer
from app.api.errors import ERROR_RESPONSES, error_responses
from app.api.schemas.copilot import CopilotStatus, DraftIn, DraftRead
from app.copilot import Copilot
from app.resources import Resources

router = APIRouter(
    prefix="/api/copilot", tags=["copilot"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


UPSTREAM = error_responses({502: "The model failed, or its drafts stayed invalid"})


@router.post("/draft", responses=UPSTREAM)
async def draft(body: DraftIn, caller: Writer, resources: ResourcesDep) -> DraftRead:
    """Draft a workflow document from `prompt` (or revise `document` by `instruction`) with
    the configured model, from the document's JSON Schema and the installed connectors'
    actions; checked by the same validator as a save, drafts it refuses sent back to the
    model with its errors (at most twice). Nothing is saved. 503 names the setting when no
    model is configured."""
    copilot = _copilot(resources)
    if body.document is not None and body.instruction is not None:
        found = await copilot.draft(caller.tenant_id, body.instruction, body.document)
    else:
        assert body.prompt is not None  # checked by DraftIn
        found = await copilot.draft(caller.tenant_id, body.prompt)
    return DraftRead.of(found)


@router.get("")
async def copilot_status(caller: Reader, resources: ResourcesDep) -> CopilotStatus:
    """Whether the copilot can draft now (a model is configured for the tenant or the
    deployment), and if not, why, naming the setting: the Studio asks before offering it.
    The model is not called."""
    reason = await _copilot(resources).unready(caller.tenant_id)
    return CopilotStatus(ready=reason is None, reason=reason)


def _copilot(resources: Resources) -> Copilot:
    return Copilot(
        resources.workflows.parser,
        resources.registry,
        resources.integrations,
        resources.secrets,
        resources.gateway.services,
    )
