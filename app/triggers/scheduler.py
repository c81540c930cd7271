"""Schedule triggers: cron expressions (croniter, in the trigger's time zone, so DST is
honoured) and intervals.

Any number of schedulers may run; one leads at a time (a lease in Redis). Each firing
carries a stable idempotency key (``schedule:<workflow>:<time>``), so even two leaders in a
hand-over race start one run per tick. After downtime, missed ticks are handled by the
misfire policy: ``skip`` fires only the ticks missed by less than the grace period,
``run_once`` fires the latest missed tick once.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from croniter import croniter
from redis.asyncio import Redis

from app.clock import Clock
from app.engine.flow.leases import Leadership
from app.engine.redis_keys import SCHEDULER_LEADER, last_fired, set_last_fired
from app.models.document import WorkflowDocument
from app.models.run import Accepted
from app.models.trigger import SCHEDULE, Trigger
from app.models.validation import delay_seconds
from app.models.workflow import WorkflowVersion
from app.store.protocol import Store
from app.supervisor import Part, pause
from app.triggers.alerts import AlertCheck
from app.triggers.audience import SegmentFiring
from app.triggers.ingest import EventIn, Ingestor

log = logging.getLogger(__name__)
# Missed ticks are counted one by one after downtime; past this many only the latest counts.
MAX_CATCH_UP = 100_000


class Misfire(StrEnum):
    SKIP = "skip"
    RUN_ONCE = "run_once"


def next_fire(trigger: Trigger, after: datetime) -> datetime:
    """The first firing strictly after ``after`` (UTC in, UTC out)."""
    if trigger.cron is None:
        assert trigger.interval is not None
        return after + timedelta(seconds=delay_seconds(trigger.interval))
    zone = ZoneInfo(trigger.timezone or "UTC")
    following: datetime = croniter(trigger.cron, after.astimezone(zone)).get_next(datetime)
    at = following.astimezone(UTC)
    if _repeated_wall_time(at.astimezone(zone)) and trigger.cron.split()[1] != "*":
        # When clocks fall back an hour repeats; a job set for an hour of it runs once, in
        # its first pass, as cron does. Jobs on every hour keep running in real time.
        return next_fire(trigger, at)
    return at


def _repeated_wall_time(local: datetime) -> bool:
    """True for the second pass through a wall-clock time that happens twice."""
    return local.fold == 1 and local.utcoffset() != local.replace(fold=0).utcoffset()


def fires_between(trigger: Trigger, last: datetime, now: datetime) -> list[datetime]:
    """Firings in (last, now]; after MAX_CATCH_UP of them only the last one is kept."""
    due: list[datetime] = []
    at = next_fire(trigger, last)
    while at <= now:
        if len(due) == MAX_CATCH_UP:
            due = due[-1:]
        due.append(at)
        at = next_fire(trigger, at)
    return due


@dataclass
class Scheduler:
    store: Store
    ingestor: Ingestor
    redis: Redis
    clock: Clock
    misfire: Misfire = Misfire.SKIP
    grace: timedelta = timedelta(seconds=60)
    period: float = 1.0
    segment_max_members: int = 100_000
    must_lead: bool = False
    # Failure alerts, checked by the leader only (``AUTOMATOR_ALERT_CHECK_SECONDS``).
    alerts: AlertCheck | None = None

    def __post_init__(self) -> None:
        self.leadership = Leadership(self.redis, SCHEDULER_LEADER, self.period * 5)
        self.segments = SegmentFiring(
            self.store, self.ingestor, self.clock, self.segment_max_members
        )

    async def run(self, part: Part) -> None:
        """Tick every ``period`` seconds while leading, until ``part.stop`` is set. Run it
        under a ``Supervisor``: a failure (Redis gone, the store locked) ends the loop and the
        supervisor starts it again. It reports itself not ready while another scheduler
        leads only if ``must_lead`` (it should be the only one)."""
        leading = False
        while not part.stop.is_set():
            if await self.leadership.hold() != leading:
                leading = not leading
                log.info("this scheduler %s", "leads" if leading else "no longer leads")
            if leading:
                part.ready()
                await self.tick(self.clock.now())
            elif self.must_lead:
                part.not_ready("not leading: another scheduler holds the lease")
            else:
                part.ready()
            await pause(part.stop, self.period)

    async def tick(self, now: datetime) -> list[Accepted]:
        """Fire every schedule due by ``now``, then check the failure alerts when it is
        time; returns what was started."""
        schedules = [
            one
            for version in await self.store.scheduled_versions()
            for one in schedules_of(version)
        ]
        lasts = await last_fired(self.redis, [schedule.field for schedule in schedules])
        started = []
        for schedule, last in zip(schedules, lasts, strict=True):
            if last is None:  # a new schedule counts from now, it does not fire the past
                await set_last_fired(self.redis, schedule.field, now.isoformat())
                continue
            try:
                started += await self._fire_due(schedule, datetime.fromisoformat(last), now)
            except Exception:  # one broken schedule must not stop the others
                log.exception("schedule of %s failed", schedule.field)
        if self.alerts is not None:
            await self.alerts.tick(now)
        return started

    async def _fire_due(
        self, schedule: "Schedule", last: datetime, now: datetime
    ) -> list[Accepted]:
        field, trigger = schedule.field, schedule.trigger
        due = fires_between(trigger, last, now)
        if not due:
            return []
        started = []
        for at in self._chosen(due, now):
            started += await self._fire(schedule, at)
        await set_last_fired(self.redis, field, due[-1].isoformat())
        return started

    def _chosen(self, due: list[datetime], now: datetime) -> list[datetime]:
        if self.misfire == Misfire.RUN_ONCE:
            return due[-1:]
        return [at for at in due if now - at <= self.grace]

    async def _fire(self, schedule: "Schedule", at: datetime) -> list[Accepted]:
        version, trigger = schedule.version, schedule.trigger
        if trigger.segment is not None:
            return await self.segments.fire(version, trigger, at)
        key = f"schedule:{version.workflow_id}{schedule.suffix}:{at.isoformat()}"
        event = EventIn(type="schedule", data={"scheduled_at": at.isoformat()}, timestamp=at)
        event = event.with_key(key)
        return [await self.ingestor.start(version, event, trigger_id=schedule.label)]


@dataclass(frozen=True)
class Schedule:
    """One schedule trigger of an active version: ``field`` keeps when it last fired (the
    seed's single ``trigger`` under the workflow's own name, as before ``triggers``)."""

    version: WorkflowVersion
    label: str
    trigger: Trigger
    suffix: str

    @property
    def field(self) -> str:
        return f"{self.version.tenant_id}:{self.version.workflow_id}{self.suffix}"


def schedules_of(version: WorkflowVersion) -> list[Schedule]:
    document = WorkflowDocument.model_validate(version.document)
    return [
        Schedule(version, label, trigger, "" if n == 0 else f":{label}")
        for n, (label, trigger) in enumerate(document.all_triggers())
        if trigger.type == SCHEDULE
    ]
