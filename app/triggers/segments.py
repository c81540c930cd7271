"""Segment membership: a segment's conditions evaluated over a tenant's profiles.

A segment is never materialised: its members are the profiles its conditions hold for at
the moment of asking. Profiles are read a page at a time in user id order and tested here
with the same compiled conditions as workflows, on the profile's view (``plan``,
``last_seen``, ``days_since_last_seen``...; also reachable as ``profile.*``). Top-level
``before`` / ``after`` conditions on ``last_seen`` also narrow the store's read, which
keeps "not seen for 7 days" from reading every profile.
"""

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.clock import Clock
from app.engine.expressions.conditions import CompiledConditions, compile_conditions, moment
from app.models.condition import Condition, Operator
from app.models.profile import Profile, ProfileFilter
from app.models.workflow import Page
from app.store.protocol import Store

BATCH = 500
# Seconds one page of members may spend testing profiles.
SCAN_SECONDS = 2.0
LAST_SEEN = frozenset({"last_seen", "profile.last_seen"})
# The store's read is widened by this much around a bound: the conditions decide exactly.
SLACK = timedelta(seconds=1)


def profile_context(profile: Profile, now: datetime) -> dict[str, Any]:
    """What a segment's conditions see: the profile's view, also under ``profile``."""
    view = profile.view(now)
    return {**view, "profile": view}


def _bounds(conditions: Sequence[Condition]) -> list[tuple[Operator, Any]]:
    """``before`` / ``after`` tests of ``last_seen`` that every member must pass."""
    found = []
    for condition in conditions:
        if condition.all is not None:
            found += _bounds(condition.all)
        elif condition.field in LAST_SEEN and condition.operator in (
            Operator.BEFORE,
            Operator.AFTER,
        ):
            found.append((condition.operator, condition.value))
    return found


@dataclass(frozen=True)
class Audience:
    """A segment's conditions, compiled once."""

    conditions: CompiledConditions
    clock: Clock
    bounds: tuple[tuple[Operator, Any], ...] = ()

    @classmethod
    def of(cls, conditions: Sequence[Condition], clock: Clock) -> "Audience":
        return cls(compile_conditions(conditions, clock), clock, tuple(_bounds(conditions)))

    def admits(self, profile: Profile, now: datetime) -> bool:
        return self.conditions(profile_context(profile, now))

    def window(self) -> ProfileFilter:
        """The narrowest ``last_seen`` range the bounds allow, as of now."""
        before: datetime | None = None
        after: datetime | None = None
        for operator, value in self.bounds:
            seconds = moment(value, self.clock)
            if seconds is None:
                continue
            at = datetime.fromtimestamp(seconds, UTC)
            if operator is Operator.BEFORE:
                before = min(before or at, at)
            else:
                after = max(after or at, at)
        return ProfileFilter(
            seen_before=before and before + SLACK, seen_after=after and after - SLACK
        )


async def pages(
    store: Store,
    tenant_id: str,
    audience: Audience,
    after: str | None = None,
    limit: int | None = None,
) -> AsyncIterator[list[Profile]]:
    """The profiles that may be members (those in the audience's ``last_seen`` window), in
    user id order after ``after``, a batch at a time, at most ``limit`` of them."""
    window, read = audience.window(), 0
    while limit is None or read < limit:
        size = BATCH if limit is None else min(BATCH, limit - read)
        profiles = await store.list_profiles(tenant_id, window, Page(size, after))
        read += len(profiles)
        if profiles:
            yield profiles
        if len(profiles) < size:
            return
        after = profiles[-1].user_id


async def members_page(
    store: Store, tenant_id: str, audience: Audience, page: Page, scan_limit: int
) -> tuple[list[Profile], str | None]:
    """Up to ``page.limit`` members after ``page.after``, and where the next page starts
    (None at the end). At most ``scan_limit`` profiles are read and ``SCAN_SECONDS`` spent
    (a ``matches`` condition may take 50 ms a profile), so a page may hold fewer members."""
    found: list[Profile] = []
    after, read = page.after, 0
    # A bound on the work one request does, so the real time, not the process's clock.
    deadline = time.monotonic() + SCAN_SECONDS
    async for profiles in pages(store, tenant_id, audience, page.after, scan_limit):
        now = audience.clock.now()
        for profile in profiles:
            after, read = profile.user_id, read + 1
            if audience.admits(profile, now):
                found.append(profile)
            if len(found) == page.limit or time.monotonic() > deadline:
                return found, after
    return found, after if read == scan_limit else None
