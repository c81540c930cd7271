"""API keys of the caller's tenant (admin role)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AuditDep, KeyManager, ResourcesDep, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.examples import API_KEY_EXAMPLE
from app.models.tenant import ApiKey, Role
from app.tenancy import issue_key

router = APIRouter(prefix="/api/keys", tags=["api keys"], responses=ERROR_RESPONSES)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [API_KEY_EXAMPLE]})

    role: Role
    name: str = Field("", max_length=200)


class KeyRead(BaseModel):
    key_id: str
    role: Role
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyRead":
        return cls.model_validate(key, from_attributes=True)


class KeyCreated(KeyRead):
    key: str = Field(description="The key itself: shown this once, never stored.")


@router.post("", status_code=201)
async def create_key(
    body: KeyCreate, caller: KeyManager, store: StoreDep, audit: AuditDep
) -> KeyCreated:
    """Issue a key for the caller's tenant. The reply is the only time the key is shown."""
    issued = await issue_key(store, caller.tenant_id, body.role, body.name)
    read = KeyRead.of(issued.key)
    await audit.record(caller.tenant_id, caller.key_id, "api_key.create", read.key_id,
                       after=read.model_dump(mode="json"))  # fmt: skip
    return KeyCreated(**read.model_dump(), key=issued.secret)


@router.get("")
async def list_keys(caller: KeyManager, store: StoreDep) -> list[KeyRead]:
    """The tenant's keys (prefixes only)."""
    return [KeyRead.of(key) for key in await store.list_api_keys(caller.tenant_id)]


@router.delete("/{key_id}")
async def revoke_key(
    key_id: str, caller: KeyManager, resources: ResourcesDep, audit: AuditDep
) -> KeyRead:
    """Revoke a key. This process refuses it at once; other API processes within
    `AUTOMATOR_KEY_CACHE_SECONDS`."""
    revoked = KeyRead.of(await resources.store.revoke_api_key(caller.tenant_id, key_id))
    resources.keys.forget(key_id)
    await audit.record(caller.tenant_id, caller.key_id, "api_key.revoke", key_id,
                       after={"revoked_at": revoked.model_dump(mode="json")["revoked_at"]})  # fmt: skip
    return revoked
