"""What the campaigns API answers."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.api.schemas.page import Page
from app.models.profile import Campaign, CampaignMember


class CampaignRead(BaseModel):
    campaign_id: str
    name: str
    created_at: datetime = Field(description="When its first member was added.")
    members: int

    @classmethod
    def of(cls, campaign: Campaign) -> "CampaignRead":
        return cls.model_validate(campaign, from_attributes=True)


class CampaignList(Page[CampaignRead]):
    """A page of campaigns, by id."""


class MemberRead(BaseModel):
    user_id: str
    added_at: datetime

    @classmethod
    def of(cls, member: CampaignMember) -> "MemberRead":
        return cls.model_validate(member, from_attributes=True)


class CampaignMembers(Page[MemberRead]):
    """A page of a campaign's members, by user id."""
