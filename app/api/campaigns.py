"""Campaigns: named membership lists that `add_to_campaign` steps fill."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app.api.deps import Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.profiles import After, Limit
from app.models.document import ID_PATTERN
from app.models.profile import Campaign, CampaignMember
from app.models.workflow import Page

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"], responses=ERROR_RESPONSES)

CampaignId = Annotated[str, Path(pattern=ID_PATTERN)]


class CampaignRead(BaseModel):
    campaign_id: str
    name: str
    created_at: datetime = Field(description="When its first member was added.")
    members: int

    @classmethod
    def of(cls, campaign: Campaign) -> "CampaignRead":
        return cls.model_validate(campaign, from_attributes=True)


class CampaignList(BaseModel):
    items: list[CampaignRead]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


class MemberRead(BaseModel):
    user_id: str
    added_at: datetime

    @classmethod
    def of(cls, member: CampaignMember) -> "MemberRead":
        return cls.model_validate(member, from_attributes=True)


class CampaignMembers(BaseModel):
    items: list[MemberRead]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null at the end."
    )


@router.get("")
async def list_campaigns(
    caller: Reader, store: StoreDep, limit: Limit = 100, after: After = None
) -> CampaignList:
    """The tenant's campaigns by id, with their member counts."""
    campaigns = await store.list_campaigns(caller.tenant_id, Page(limit, after))
    next_after = campaigns[-1].campaign_id if len(campaigns) == limit else None
    return CampaignList(items=[CampaignRead.of(c) for c in campaigns], next_after=next_after)


@router.get("/{campaign_id}")
async def get_campaign(campaign_id: CampaignId, caller: Reader, store: StoreDep) -> CampaignRead:
    """One campaign and its member count."""
    return CampaignRead.of(await store.get_campaign(caller.tenant_id, campaign_id))


@router.get("/{campaign_id}/members")
async def campaign_members(
    campaign_id: CampaignId, caller: Reader, store: StoreDep, limit: Limit = 100,
    after: After = None,
) -> CampaignMembers:  # fmt: skip
    """The campaign's members by user id, with when each was added."""
    members = await store.campaign_members(caller.tenant_id, campaign_id, Page(limit, after))
    next_after = members[-1].user_id if len(members) == limit else None
    return CampaignMembers(items=[MemberRead.of(m) for m in members], next_after=next_after)
