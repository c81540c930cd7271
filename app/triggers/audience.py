"""Segment-targeted schedules: at each firing, one run per member of the trigger's segment.

Each member's run carries that member's ``user`` (the profile's attributes and ``id``) and
``profile``, and the key ``schedule:<workflow>:<tick>:<user>``, so a tick fired twice (two
schedulers in a hand-over race, a retried tick) starts each member's run once. Members are
started in batches of ``BATCH``, one store call each; a firing starts at most
``max_members`` runs.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from app.clock import Clock
from app.errors import NotFound
from app.models.condition import Condition
from app.models.profile import Profile
from app.models.run import Accepted
from app.models.trigger import SegmentTarget, Trigger
from app.models.workflow import WorkflowVersion
from app.store.protocol import Store
from app.triggers.ingest import EventIn, Ingestor, MemberStart
from app.triggers.segments import Audience, pages

log = logging.getLogger(__name__)
INLINE = "inline"


def member_start(profile: Profile, workflow_id: str, at: datetime, now: datetime) -> MemberStart:
    return MemberStart(
        user_id=profile.user_id,
        context={"user": profile.as_user(), "profile": profile.view(now)},
        key=f"schedule:{workflow_id}:{at.isoformat()}:{profile.user_id}",
    )


@dataclass
class SegmentFiring:
    store: Store
    ingestor: Ingestor
    clock: Clock
    max_members: int = 100_000

    async def fire(
        self, version: WorkflowVersion, trigger: Trigger, at: datetime
    ) -> list[Accepted]:
        """Start the runs of one tick, one batch of members at a time."""
        assert trigger.segment is not None
        conditions = await self._conditions(version, trigger.segment)
        if conditions is None:
            return []
        name = trigger.segment if isinstance(trigger.segment, str) else INLINE
        event = EventIn(
            type="schedule", data={"scheduled_at": at.isoformat(), "segment": name}, timestamp=at
        )
        started: list[Accepted] = []
        remaining = self.max_members
        audience = Audience.of(conditions, self.clock)
        async for profiles in pages(self.store, version.tenant_id, audience):
            now = self.clock.now()
            members = [profile for profile in profiles if audience.admits(profile, now)]
            over = len(members) > remaining
            if over:
                log.error(
                    "segment %s of %s has more than %d members; the rest get no run",
                    name,
                    version.workflow_id,
                    self.max_members,
                )
            taken = members[:remaining]
            if taken:
                starts = [member_start(member, version.workflow_id, at, now) for member in taken]
                started.append(await self.ingestor.start_each(version, event, starts))
            remaining -= len(taken)
            if over:
                break
        return started

    async def _conditions(
        self, version: WorkflowVersion, segment: str | SegmentTarget
    ) -> list[Condition] | None:
        if isinstance(segment, SegmentTarget):
            return segment.conditions
        try:
            saved = await self.store.get_segment(version.tenant_id, segment)
        except NotFound:
            log.warning(
                "workflow %s targets segment %r, which does not exist; nothing started",
                version.workflow_id,
                segment,
            )
            return None
        return [Condition.model_validate(condition) for condition in saved.conditions]
