"""The installed connectors and their actions, with the JSON Schemas of their inputs."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/connectors", tags=["connectors"], responses=ERROR_RESPONSES)


class ConnectorAction(BaseModel):
    name: str
    action_type: str = Field(
        description="The workflow action type that runs it: its own name for the built-in "
        "types (`send_email`), otherwise `custom_action` with `data.connector` and "
        "`data.action`."
    )
    description: str
    input_schema: dict[str, Any] = Field(description="JSON Schema of the action's `data`.")
    output_schema: dict[str, Any] = Field(description="JSON Schema of the step's output.")


class ConnectorRead(BaseModel):
    code: str
    name: str
    description: str
    actions: list[ConnectorAction]


@router.get("")
async def list_connectors(resources: ResourcesDep, caller: Reader) -> list[ConnectorRead]:
    """Every installed connector: built-in, registered in code, or from an installed
    package's `automator.connectors` entry point."""
    return [ConnectorRead.model_validate(entry) for entry in resources.registry.catalogue()]
