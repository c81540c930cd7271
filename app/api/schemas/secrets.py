"""What the secrets API reads and answers."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.engine.calls.masking import MASK
from app.engine.calls.secrets import MAX_VALUE_CHARS, MIN_VALUE_CHARS, SecretInfo


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
