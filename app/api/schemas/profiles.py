"""What the profiles API answers."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.api.schemas.page import Page
from app.models.profile import Profile
from app.privacy import Erasure


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


class ErasureRead(BaseModel):
    """What erasing a person did: counts only."""

    cancelled_runs: int = Field(description="Their live runs, cancelled first.")
    profiles: int = Field(description="Profiles deleted (0 or 1).")
    memberships: int = Field(description="Campaign memberships deleted.")
    events: int = Field(description="Their events, kept without user, data or key.")
    runs: int = Field(description="Their runs, kept without context, variables or outputs.")
    steps: int = Field(description="Step records whose input, output and error were removed.")
    outbox: int = Field(description="Outbox messages deleted.")

    @classmethod
    def of(cls, erasure: Erasure) -> "ErasureRead":
        return cls(cancelled_runs=erasure.cancelled, **asdict(erasure.erased))
