"""Segments: saved, named conditions over profiles. Members are computed when asked."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api.bodies import JsonRoute
from app.api.deps import ConfigurationDep, Reader, ResourcesDep, StoreDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.profiles import After, Limit
from app.api.schemas.profiles import ProfileRead
from app.api.schemas.segments import MemberList, SegmentIn, SegmentList, SegmentRead
from app.models.condition import Condition
from app.models.patterns import ID_PATTERN
from app.models.profile import SegmentDefinition
from app.models.workflow import Page as PageQuery
from app.triggers.segments import Audience, members_page

router = APIRouter(
    prefix="/api/segments", tags=["segments"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

SegmentId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("", status_code=201, responses={200: {"description": "An existing segment replaced"}})
async def save_segment(
    body: SegmentIn, caller: Writer, configuration: ConfigurationDep, response: Response
) -> SegmentRead:
    """Define a segment, or replace the one of that id (200 instead of 201)."""
    conditions = [
        c.model_dump(mode="json", exclude_unset=True, by_alias=True) for c in body.conditions
    ]
    definition = SegmentDefinition(body.name or body.segment_id, conditions, body.description)
    segment, created = await configuration.save_segment(
        caller.tenant_id, body.segment_id, definition
    )
    if not created:
        response.status_code = 200
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
    audience = Audience.of(
        [Condition.model_validate(c) for c in segment.conditions], resources.clock
    )
    members, next_after = await members_page(
        resources.store,
        caller.tenant_id,
        audience,
        PageQuery(limit, after),
        resources.settings.segment_scan_limit,
    )
    return MemberList(items=[ProfileRead.of(m) for m in members], next_after=next_after)
