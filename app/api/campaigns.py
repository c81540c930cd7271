"""Campaigns: named membership lists that `add_to_campaign` steps fill."""

from typing import Annotated

from fastapi import APIRouter, Path

from app.api.bodies import JsonRoute
from app.api.deps import Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.profiles import After, Limit
from app.api.schemas.campaigns import CampaignList, CampaignMembers, CampaignRead, MemberRead
from app.models.patterns import ID_PATTERN
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

CampaignId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("")
async def list_campaigns(
    caller: Reader, store: StoreDep, limit: Limit = 100, after: After = None
) -> CampaignList:
    """The tenant's campaigns by id, with their member counts."""
    campaigns = await store.list_campaigns(caller.tenant_id, PageQuery(limit, after))
    return CampaignList.after_last(
        [CampaignRead.of(c) for c in campaigns], limit, lambda item: item.campaign_id
    )


@router.get("/{campaign_id}")
async def get_campaign(campaign_id: CampaignId, caller: Reader, store: StoreDep) -> CampaignRead:
    """One campaign and its member count."""
    return CampaignRead.of(await store.get_campaign(caller.tenant_id, campaign_id))


@router.get("/{campaign_id}/members")
async def campaign_members(
    campaign_id: CampaignId,
    caller: Reader,
    store: StoreDep,
    limit: Limit = 100,
    after: After = None,
) -> CampaignMembers:
    """The campaign's members by user id, with when each was added."""
    members = await store.campaign_members(caller.tenant_id, campaign_id, PageQuery(limit, after))
    return CampaignMembers.after_last(
        [MemberRead.of(m) for m in members], limit, lambda item: item.user_id
    )
