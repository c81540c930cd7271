"""What the profiles API answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.page import Page
from app.models.profile import Profile


class ProfileRead(BaseModel):
    user_id: str
    attributes: dict[str, Any] = Field(
        description="Every event's `user` merged in, and `update_user_profile`'s data."
    )
    first_seen: datetime = Field(description="When the user's earliest event happened.")
    last_seen: datetime = Field(description="When the user's latest event happened.")
    event_count: int = Field(description="Events accepted for this user.")
    updated_at: datetime

    @classmethod
    def of(cls, profile: Profile) -> "ProfileRead":
        return cls.model_validate(profile, from_attributes=True)


class ProfileList(Page[ProfileRead]):
    """A page of profiles, by user id."""
