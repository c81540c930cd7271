"""What the segments API reads and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.page import Page
from app.api.schemas.profiles import ProfileRead
from app.models.condition import Condition
from app.models.patterns import ID_PATTERN
from app.models.profile import Segment

SEGMENT_EXAMPLE: dict[str, Any] = {
    "segment_id": "inactive_7d",
    "name": "Not seen for a week",
    "conditions": [{"field": "last_seen", "operator": "before", "value": "now-P7D"}],
}


class SegmentIn(BaseModel):
    """Conditions over profile fields: attributes (`plan`), `first_seen`, `last_seen`,
    `event_count`, `days_since_last_seen`, also written `profile.plan`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SEGMENT_EXAMPLE]})

    segment_id: str = Field(pattern=ID_PATTERN)
    name: str | None = Field(None, min_length=1, max_length=200, description="Default: the id.")
    description: str | None = Field(None, max_length=2000)
    conditions: list[Condition] = Field(min_length=1, description="All must hold.")


class SegmentRead(BaseModel):
    segment_id: str
    name: str
    description: str | None
    conditions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, segment: Segment) -> "SegmentRead":
        return cls.model_validate(segment, from_attributes=True)


class SegmentList(Page[SegmentRead]):
    """A page of segments, by id."""


class MemberList(Page[ProfileRead]):
    """A page of the profiles the segment's conditions hold for, by user id. A page may hold
    fewer members than `limit` when `AUTOMATOR_SEGMENT_SCAN_LIMIT` profiles were read or 2 s
    were spent first; `next_after` goes on from there."""
