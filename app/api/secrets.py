"""Secrets of the caller's tenant (admin role): values go in, never come out."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AuditDep, ResourcesDep, SecretManager
from app.api.errors import ERROR_RESPONSES
from app.engine.calls.masking import MASK
from app.engine.calls.secrets import MAX_VALUE_CHARS, MIN_VALUE_CHARS, SecretInfo

router = APIRouter(prefix="/api/secrets", tags=["secrets"], responses=ERROR_RESPONSES)
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created (200: an existing secret was replaced)"}
}


class SecretValue(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"value": "the-value-your-provider-gave-you"}]},
    )

    value: str = Field(
        min_length=MIN_VALUE_CHARS,
        max_length=MAX_VALUE_CHARS,
        description="The secret itself. It is stored encrypted and never shown again.",
    )


class SecretRead(BaseModel):
    name: str
    value: str = Field(MASK, description=f"Always `{MASK}`: values are never shown.")
    created_at: datetime
    updated_at: datetime
    rotated_at: datetime | None
    shadowed_by_env: bool = Field(
        description="`AUTOMATOR_SECRET_<NAME>` is set and this tenant may read it: steps use "
        "the environment's value, not the stored one."
    )

    @classmethod
    def of(cls, info: SecretInfo) -> "SecretRead":
        return cls.model_validate(info, from_attributes=True)


@router.get("")
async def list_secrets(caller: SecretManager, resources: ResourcesDep) -> list[SecretRead]:
    """The tenant's stored secrets by name, values masked."""
    return [SecretRead.of(info) for info in await resources.secrets.list(caller.tenant_id)]


@router.get("/{name}")
async def get_secret(name: str, caller: SecretManager, resources: ResourcesDep) -> SecretRead:
    """One stored secret, value masked."""
    return SecretRead.of(await resources.secrets.get(caller.tenant_id, name))


@router.put("/{name}", responses=CREATED)
async def put_secret(
    name: str, body: SecretValue, caller: SecretManager, resources: ResourcesDep,
    response: Response, audit: AuditDep,
) -> SecretRead:  # fmt: skip
    """Create or replace a secret. Workflows and integration configuration refer to it as
    `{"$secret": "NAME"}`; names are 1 to 100 capital letters, digits and underscores,
    starting with a letter."""
    info, created = await resources.secrets.put(caller.tenant_id, name, body.value)
    response.status_code = 201 if created else 200
    action = "secret.create" if created else "secret.update"
    await audit.record(caller.tenant_id, caller.key_id, action, name, after={"name": name})
    return SecretRead.of(info)


@router.post("/{name}/rotate")
async def rotate_secret(
    name: str, body: SecretValue, caller: SecretManager, resources: ResourcesDep, audit: AuditDep
) -> SecretRead:
    """Give an existing secret a new value (404 if there is none) and record when. The old
    value is not kept: every step that calls its connector from now on gets the new one."""
    rotated = SecretRead.of(await resources.secrets.rotate(caller.tenant_id, name, body.value))
    await audit.record(caller.tenant_id, caller.key_id, "secret.rotate", name, after={"name": name})
    return rotated


@router.delete("/{name}", status_code=204)
async def delete_secret(
    name: str, caller: SecretManager, resources: ResourcesDep, audit: AuditDep
) -> None:
    """Delete a secret. Steps referring to it fail with an error naming it, unless the
    environment provides it."""
    await resources.secrets.delete(caller.tenant_id, name)
    await audit.record(caller.tenant_id, caller.key_id, "secret.delete", name, {"name": name})
