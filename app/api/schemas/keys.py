"""What the API keys API reads and answers."""

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.api.examples import API_KEY_EXAMPLE
from app.models.patterns import ID_PATTERN
from app.models.tenant import ApiKey, Role
from app.models.validation import Tags


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [API_KEY_EXAMPLE]})

    role: Role
    name: str = Field("", max_length=200)
    workflows: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Limit the key to these workflows: it sees and acts on them (and their "
        "versions, runs and approvals) only, answers 404 for any other, and reaches none of "
        "the tenant's other resources. Unset: the whole tenant.",
    )
    tags: Tags | None = Field(
        None,
        min_length=1,
        description="Limit the key to the workflows carrying one of these tags (their newest "
        "version's `tags`), beside any named in `workflows`: as for `workflows`, any other "
        "answers 404. Such a key changes only these tags of a workflow and keeps one of them "
        "on it, so a workflow cannot leave its reach by its hand. Unset: no limit by tag.",
    )
    expires_at: AwareDatetime | None = Field(
        None,
        description="When the key stops working (ISO 8601 with a time zone, in the future): "
        "from then on it is refused with a 401 saying it expired and when. An expired admin "
        "key does not count as the tenant's last admin key. Unset: it works until revoked.",
    )


class KeyRead(BaseModel):
    key_id: str
    role: Role
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None
    workflows: list[str] | None = Field(
        None, description="The workflows it is limited to; null: all."
    )
    tags: list[str] | None = Field(
        None, description="The tags of the workflows it is limited to; null: no limit by tag."
    )
    expires_at: datetime | None = Field(
        None, description="When it stops working (or stopped); null: it does not expire."
    )
    last_used_at: datetime | None = Field(
        None,
        description="When a request was last made with it, to within a minute (each API "
        "process records a key's use at most once a minute); null: never used.",
    )

    @classmethod
    def of(cls, key: ApiKey) -> "KeyRead":
        return cls.model_validate(key, from_attributes=True)


class KeyCreated(KeyRead):
    key: str = Field(description="The key itself: shown this once, never stored.")
    notice: str | None = Field(
        None,
        description="Set when the new key is an admin key with an expiry and every admin "
        "key of the tenant now expires: when the last does, and what to do before then.",
    )


class KeyRevoked(KeyRead):
    notice: str | None = Field(
        None,
        description="Set when the revoked key is an admin key and every admin key of the "
        "tenant left now expires: when the last does, and what to do before then.",
    )
