"""What the API keys API reads and answers."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.api.examples import API_KEY_EXAMPLE
from app.models.tenant import ApiKey, Role


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
