"""User profiles: one per user id, kept up to date by every event that carries the user."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.bodies import JsonRoute
from app.api.deps import Configurer, PrivacyDep, Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.instants import utc
from app.api.schemas.profiles import ErasureRead, ProfileList, ProfileRead
from app.models.instant import Instant
from app.models.profile import ProfileFilter
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/profiles", tags=["profiles"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

Limit = Annotated[int, Query(ge=1, le=500)]
After = Annotated[str | None, Query(description="`next_after` of the page before.")]


@router.get("")
async def list_profiles(
    caller: Reader,
    store: StoreDep,
    seen_before: Annotated[Instant | None, Query(description="Last seen before this.")] = None,
    seen_after: Annotated[Instant | None, Query(description="Last seen after this.")] = None,
    limit: Limit = 100,
    after: After = None,
) -> ProfileList:
    """The tenant's profiles by user id, filtered by when they were last seen."""
    where = ProfileFilter(
        seen_before=utc(seen_before, "seen_before"), seen_after=utc(seen_after, "seen_after")
    )
    profiles = await store.list_profiles(caller.tenant_id, where, PageQuery(limit, after))
    return ProfileList.after_last(
        [ProfileRead.of(p) for p in profiles], limit, lambda item: item.user_id
    )


@router.get("/{user_id:path}")
async def get_profile(user_id: str, caller: Reader, store: StoreDep) -> ProfileRead:
    """One user's profile; 404 for a user id without one (and for another tenant's)."""
    return ProfileRead.of(await store.get_profile(caller.tenant_id, user_id))


@router.delete("/{user_id}")
async def erase_profile(user_id: str, caller: Configurer, privacy: PrivacyDep) -> ErasureRead:
    """Erase a person: their live runs are cancelled; their profile and campaign
    memberships deleted; their events kept without user, data or idempotency key; their runs
    kept without context, variables or outputs; their runs' step inputs, outputs and errors
    and outbox messages removed. Recorded in the audit log as `profile.erase` under a
    pseudonym, with counts only. Safe to repeat (admin)."""
    return ErasureRead.of(await privacy.erase(caller.tenant_id, user_id))
