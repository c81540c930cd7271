"""Segments: saved, named conditions over profiles. Members are computed when asked."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AuditDep, Reader, ResourcesDep, StoreDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.profiles import After, Limit, ProfileRead
from app.api.schemas.page import Page
from app.models.document import ID_PATTERN, Condition
from app.models.profile import Segment, SegmentDefinition
from app.models.workflow import Page as PageQuery
from app.triggers.segments import Audience, members_page

router = APIRouter(prefix="/api/segments", tags=["segments"], responses=ERROR_RESPONSES)

SegmentId = Annotated[str, Path(pattern=ID_PATTERN)]
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


@router.post("", status_code=201, responses={200: {"description": "An existing segment replaced"}})
async def save_segment(
    body: SegmentIn, caller: Writer, store: StoreDep, response: Response, audit: AuditDep
) -> SegmentRead:
    """Define a segment, or replace the one of that id (200 instead of 201)."""
    conditions = [
        c.model_dump(mode="json", exclude_unset=True, by_alias=True) for c in body.conditions
    ]
    definition = SegmentDefinition(body.name or body.segment_id, conditions, body.description)
    segment, created = await store.save_segment(caller.tenant_id, body.segment_id, definition)
    if not created:
        response.status_code = 200
    action = "segment.create" if created else "segment.update"
    after = {"name": definition.name, "conditions": conditions}
    await audit.record(caller.tenant_id, caller.key_id, action, body.segment_id, after=after)
    return SegmentRead.of(segment)


@router.get("")
async def list_segments(
    caller: Reader, store: StoreDep, limit: Limit = 100, after: After = None
) -> SegmentList:
    """The tenant's segments by id."""
    segments = await store.list_segments(caller.tenant_id, PageQuery(limit, after))
    return SegmentList.after_last(
        [SegmentRead.of(s) for s in segments], limit, lambda item: item.segment_id
    )


@router.get("/{segment_id}")
async def get_segment(segment_id: SegmentId, caller: Reader, store: StoreDep) -> SegmentRead:
    """One segment and its conditions."""
    return SegmentRead.of(await store.get_segment(caller.tenant_id, segment_id))


@router.get("/{segment_id}/members")
async def segment_members(
    segment_id: SegmentId,
    caller: Reader,
    resources: ResourcesDep,
    limit: Limit = 100,
    after: After = None,
) -> MemberList:
    """The profiles the segment's conditions hold for now, by user id. Each request reads at
    most `AUTOMATOR_SEGMENT_SCAN_LIMIT` profiles and spends at most 2 s testing them."""
    segment = await resources.store.get_segment(caller.tenant_id, segment_id)
    audience = Audience.of([Condition.model_validate(c) for c in segment.conditions])
    members, next_after = await members_page(
        resources.store, caller.tenant_id, audience, PageQuery(limit, after),
        resources.settings.segment_scan_limit,
    )  # fmt: skip
    return MemberList(items=[ProfileRead.of(m) for m in members], next_after=next_after)
