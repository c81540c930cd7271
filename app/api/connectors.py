"""The installed connectors and their actions, with the JSON Schemas of their inputs; and
the engine's own flow-control actions (approval, wait_for_event, ...), which no connector
carries."""

from typing import Any

from fastapi import APIRouter

from app.actions.local.policy import GUARDED, how_to_enable, tenant_enabled
from app.actions.registry import ACTION_TYPES
from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.connectors import ConnectorRead
from app.models.action import BRANCHES, DATA_MODELS

router = APIRouter(
    prefix="/api/connectors", tags=["connectors"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
FLOW_ACTIONS = (
    "approval",
    "wait_for_event",
    "condition",
    "split",
    "loop",
    "parallel",
    "trigger_workflow",
    "delay",
    "set",
    "stop",
    "log",
)


@router.get("")
async def list_connectors(resources: ResourcesDep, caller: Reader) -> list[ConnectorRead]:
    """Every installed connector: built-in, registered in code, or from an installed
    package's `automator.connectors` entry point; then `flow`, the engine's own actions.
    Local tasks (`file`, `shell`) say whether the caller's tenant may use them and, while
    they are off, how to enable them."""
    found = []
    for entry in resources.registry.catalogue():
        read = ConnectorRead.model_validate(entry)
        if read.code in GUARDED:
            config = await resources.integrations.for_call(caller.tenant_id, read.code)
            allowed = read.code in resources.settings.local_tasks
            read.enabled = allowed and tenant_enabled(config.values)
            read.enable_with = None if read.enabled else how_to_enable(read.code)
        found.append(read)
    return [*found, flow_catalogue()]


def flow_catalogue() -> ConnectorRead:
    """The engine's flow-control actions with the schema of their ``data``."""
    actions: list[dict[str, Any]] = []
    for name in FLOW_ACTIONS:
        model = DATA_MODELS.get(name)
        schema = model.model_json_schema() if model is not None else {"type": "object"}
        arms = BRANCHES.get(name, ())
        described = ACTION_TYPES[name] + (f" (branches: {', '.join(arms)})" if arms else "")
        actions.append(
            {
                "name": name,
                "action_type": name,
                "description": described,
                "input_schema": schema,
                "output_schema": {"type": "object"},
            }
        )
    return ConnectorRead(
        code="flow",
        name="Flow control",
        description="The engine's own actions: approvals, waits, branches, loops, parallel "
        "branches, sub-workflows, delays and variables.",
        actions=actions,
    )
