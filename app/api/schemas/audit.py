"""What the audit API answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.page import Page
from app.models.audit import AuditEntry


class AuditRead(BaseModel):
    entry_id: str
    at: datetime
    actor: str = Field(description="The API key id that made the change (`cli`: the CLI).")
    action: str = Field(examples=["workflow.publish"])
    entity_type: str = Field(examples=["workflow", "api_key", "run"])
    entity_id: str
    before: dict[str, Any] | None = Field(description="State before; secrets masked.")
    after: dict[str, Any] | None = Field(description="State after; secrets masked.")

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditRead":
        return cls.model_validate(entry, from_attributes=True)


class AuditList(Page[AuditRead]):
    """A page of audit entries, newest first."""
