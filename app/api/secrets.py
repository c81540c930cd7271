"""Secrets of the caller's tenant (admin role): values go in, never come out."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app.actions.references import NAME_RULE
from app.api.bodies import JsonRoute
from app.api.deps import ConfigurationDep, ResourcesDep, SecretManager
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.secrets import SecretRead, SecretValue
from app.models.patterns import UPPER_NAME_PATTERN

router = APIRouter(
    prefix="/api/secrets", tags=["secrets"], responses=ERROR_RESPONSES, route_class=JsonRoute
)
# The rule is documented here and checked by the service, whose 422 says it in words.
SecretName = Annotated[
    str, Path(description=NAME_RULE, json_schema_extra={"pattern": UPPER_NAME_PATTERN})
]
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created (200: an existing secret was replaced)"}
}


@router.get("")
async def list_secrets(caller: SecretManager, resources: ResourcesDep) -> list[SecretRead]:
    """The tenant's stored secrets by name, values masked."""
    return [SecretRead.of(info) for info in await resources.secrets.list(caller.tenant_id)]


@router.get("/{name}")
async def get_secret(
    name: SecretName, caller: SecretManager, resources: ResourcesDep
) -> SecretRead:
    """One stored secret, value masked."""
    return SecretRead.of(await resources.secrets.get(caller.tenant_id, name))


@router.put("/{name}", responses=CREATED)
async def put_secret(
    name: SecretName,
    body: SecretValue,
    caller: SecretManager,
    configuration: ConfigurationDep,
    response: Response,
) -> SecretRead:
    """Create or replace a secret. Workflows and integration configuration refer to it as
    `{"$secret": "NAME"}`; names are 1 to 100 capital letters, digits and underscores,
    starting with a letter."""
    info, created = await configuration.put_secret(caller.tenant_id, name, body.value)
    response.status_code = 201 if created else 200
    return SecretRead.of(info)


@router.post("/{name}/rotate")
async def rotate_secret(
    name: SecretName, body: SecretValue, caller: SecretManager, configuration: ConfigurationDep
) -> SecretRead:
    """Give an existing secret a new value (404 if there is none) and record when. The old
    value is not kept: every step that calls its connector from now on gets the new one."""
    return SecretRead.of(await configuration.rotate_secret(caller.tenant_id, name, body.value))


@router.delete("/{name}", status_code=204)
async def delete_secret(
    name: SecretName, caller: SecretManager, configuration: ConfigurationDep
) -> None:
    """Delete a secret. Steps referring to it fail with an error naming it, unless the
    environment provides it."""
    await configuration.delete_secret(caller.tenant_id, name)
