"""What the operator API reads and answers."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.keys import KeyCreated
from app.api.schemas.page import Page
from app.models.tenant import Role, Tenant, TenantId
from app.tenancy import TenantSummary


class TenantCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tenant_id": "acme", "name": "Acme"}]}
    )

    tenant_id: TenantId = Field(
        description="The tenant's id, as `automator create-api-key --tenant` takes it."
    )
    name: str = Field(min_length=1, max_length=200, description="What people call it.")


class AdminKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "recovery"}]}
    )

    name: str = Field(
        "", max_length=200, description="What the key is for, as the tenant's key list shows."
    )


class TenantRead(BaseModel):
    tenant_id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantRead":
        return cls.model_validate(tenant, from_attributes=True)


class TenantList(Page[TenantRead]):
    pass


class TenantCreated(TenantRead):
    admin_key: KeyCreated = Field(
        description="The tenant's first admin key; its `key` is shown this once, never stored."
    )


class TenantDetail(TenantRead):
    live_keys: dict[Role, int] = Field(
        description="Keys that work (neither revoked nor expired), by role."
    )
    workflows: int = Field(description="Workflows not archived.")
    events_last_24h: int = Field(
        description="Events received in the last 24 hours (and not purged yet)."
    )

    @classmethod
    def of_summary(cls, summary: TenantSummary) -> "TenantDetail":
        return cls(
            **TenantRead.of(summary.tenant).model_dump(),
            live_keys=summary.live_keys,
            workflows=summary.workflows,
            events_last_24h=summary.events_last_24h,
        )
