"""The installed connectors and their actions, with the JSON Schemas of their inputs."""

from fastapi import APIRouter

from app.api.deps import Reader, ResourcesDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.connectors import ConnectorRead

router = APIRouter(prefix="/api/connectors", tags=["connectors"], responses=ERROR_RESPONSES)


@router.get("")
async def list_connectors(resources: ResourcesDep, caller: Reader) -> list[ConnectorRead]:
    """Every installed connector: built-in, registered in code, or from an installed
    package's `automator.connectors` entry point."""
    return [ConnectorRead.model_validate(entry) for entry in resources.registry.catalogue()]
