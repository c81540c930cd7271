"""The arq worker, composed: its jobs (``app/engine/walk/jobs.py``) over resources built at
start-up.

It sits above ``app.resources`` and ``app.triggers`` because a worker starts runs too: a
``trigger_workflow`` step starts its sub-run through the same ingestor as an event, which the
engine cannot import, so it is handed to the executor here as a ``Launcher``.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.utils import timestamp_ms
from arq.worker import Worker, func

from app import metrics
from app.actions.ai.answers import RedisAnswers
from app.actions.base import Services
from app.actions.breaker import RedisBreaker
from app.actions.channels.outbox import unprovided
from app.actions.channels.smtp import smtp_defaults
from app.actions.local.deployment import LocalTasks
from app.actions.net import address_guard, http_client
from app.actions.registry import Registry, default_registry
from app.audit import Audit
from app.bulk import BulkRuns
from app.clock import Clock, SystemClock
from app.engine.calls.masking import SCRUBBER
from app.engine.calls.notices import Notifier
from app.engine.expressions.renderer import Renderer
from app.engine.flow.intake import Intake
from app.engine.flow.queue import (
    ADVANCE_RUN,
    BULK_RUNS,
    RUN_FAILED,
    SEND_ALERT,
    ArqQueue,
    deserialize,
    serialize,
)
from app.engine.flow.resumes import Claim, Claimed
from app.engine.flow.scripted_worker import IN_PROGRESS_MARGIN, ScriptedWorker
from app.engine.flow.served_first import ServedFirst
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.walk.control import RunControl
from app.engine.walk.executor import Executor
from app.engine.walk.family import Family
from app.engine.walk.jobs import (
    RECONCILE_PERIOD,
    RECONCILER_PASSES,
    ReconcilerPasses,
    advance_run,
    build_executor,
    rearm_if_forgotten,
    reconcile,
    resume,
    run_slots,
    stop_gracefully,
)
from app.engine.walk.program import ProgramCache
from app.failures import RUN_FAILED_TRIES, FailureHandlers
from app.resources import build_ingestor
from app.retention import Retainer, default_retention
from app.settings import Settings
from app.store.factory import open_store
from app.store.protocol import Store
from app.supervisor import Part, Task
from app.triggers.alerts import AlertSender
from app.triggers.matcher import Matcher
from app.triggers.sub_workflows import SubWorkflows

LOGGER = logging.getLogger(__name__)
# Holds are renewed this many times a lease: a worker stalled for most of a lease keeps them.
RENEWALS_PER_LEASE = 3
# The claim of resumes wakes when the next one falls due, if before its next poll, but no
# sooner than this (seconds): resumes due a few ms apart are taken in one call, not one each.
SOONEST_CLAIM = 0.005
# The most walks of resumes a worker takes on at once for its share of a burst, in multiples
# of its concurrency (1,000 at the default): a bound on the runs it holds in memory.
BURST_WALKS = 10


def create_worker(
    settings: Settings,
    registry: Registry | None = None,
    store: Store | None = None,
    on_poll: Callable[[], None] | None = None,
    clock: Clock | None = None,
    served_first: ServedFirst | None = None,
    **overrides: Any,
) -> Worker:
    """A worker for ``settings.redis_url``. It opens its own store unless given one (one
    SQLite connection per process avoids lock contention); ``on_poll`` is called after each
    poll of the queue; it reads ``clock`` (the system's unless given, the process's one when
    it shares the process with the API), and ``served_first`` bounds its start jobs while
    that API has requests in flight. ``overrides`` are arq Worker options (tests use
    ``burst=True``)."""
    assert settings.redis_url, "the worker needs AUTOMATOR_REDIS_URL"
    time_source = clock or SystemClock()

    async def startup(ctx: dict[str, Any]) -> None:
        metrics.limit_workflow_labels(settings.metrics_max_workflows)
        SCRUBBER.install()
        opened = store or await open_store(settings, time_source)
        queue = ArqQueue(ctx["redis"], time_source)
        ctx |= {"settings": settings, "store": opened, "queue": queue}
        connectors = registry or default_registry(settings.connector_modules)
        ctx["http"] = http_client(settings)
        breaker = RedisBreaker(
            ctx["redis"], settings.provider_failure_threshold, settings.provider_cooldown
        )
        services = Services(
            http=ctx["http"],
            guard=address_guard(settings),
            breaker=breaker,
            profiles=opened,
            smtp=smtp_defaults(settings),
            outbox=opened if settings.outbox else None,
            answers=RedisAnswers(ctx["redis"]),
            usage=opened,
            ai_prices=settings.ai_prices,
            local=LocalTasks.from_settings(settings),
            clock=time_source,
        )
        if settings.outbox:
            _log_outbox(settings)
        launcher = sub_workflows(settings, time_source, opened, queue)
        ctx["executor"] = build_executor(
            settings, opened, queue, connectors, services, time_source, launcher
        )
        ctx["bulk"] = bulk_runs_of(settings, time_source, opened, queue)
        notifier = notifier_of(settings, ctx["executor"], time_source)
        ctx["failures"] = FailureHandlers(
            opened, launcher, notifier, time_source, settings.base_url
        )
        ctx["alerts"] = AlertSender(notifier)
        ctx["clock"] = time_source
        ctx[RECONCILER_PASSES] = ReconcilerPasses(time_source.now())
        await rearm_if_forgotten(opened, queue, time_source.now())
        ctx["retainer"] = Retainer(
            opened,
            Audit(opened, time_source),
            default_retention(settings),
            settings.retention_batch,
        )

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "http" in ctx:
            await ctx["http"].aclose()
        if store is None and "store" in ctx:
            await ctx["store"].close()

    options: dict[str, Any] = {
        "functions": [
            # No result kept (arq's 312 bytes for an hour, a third of a waiting run's
            # Redis): the run's state in the store is what makes a job delivered twice do
            # nothing the second time, not arq refusing its id.
            func(advance_run, name=ADVANCE_RUN, keep_result=0),
            func(bulk_runs, name=BULK_RUNS),
            func(run_failed, name=RUN_FAILED, max_tries=RUN_FAILED_TRIES),
            func(send_alert, name=SEND_ALERT),
        ],
        "cron_jobs": [
            # At start-up too: a worker started after an outage (Redis flushed, every worker
            # killed) picks up the overdue runs at once, not at the next period.
            cron(reconcile, second=set(range(0, 60, RECONCILE_PERIOD)), run_at_startup=True),
            cron(purge, minute=7, second=0),
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "poll_delay": settings.worker_poll_delay,
        "max_jobs": settings.worker_concurrency,
        "job_timeout": settings.job_timeout,
        "keep_result": 3600,
    }
    intake = Intake(settings.worker_resume_lead)
    worker = PollingWorker(
        on_poll,
        settings.run_lease_seconds,
        intake,
        settings.worker_idle_poll_delay,
        **(options | overrides),
    )
    worker.served_first = served_first
    return worker


async def bulk_runs(ctx: dict[str, Any], tenant_id: str, job_id: str, cursor: str) -> None:
    """One batch of a bulk run command (``app/bulk.py``). May run more than once: a batch
    whose cursor the job has moved past does nothing."""
    bulk: BulkRuns = ctx["bulk"]
    await bulk.work(tenant_id, job_id, cursor)


async def run_failed(ctx: dict[str, Any], tenant_id: str, run_id: str, failure: int) -> None:
    """Apply the workflow's ``on_failure`` to a run's failure (``app/failures.py``). May run
    more than once: the error workflow's run starts once, each inline send is claimed; a
    limit saying later has it tried again, ``RUN_FAILED_TRIES`` times in all."""
    failures: FailureHandlers = ctx["failures"]
    await failures.handle(tenant_id, run_id, failure, ctx["job_try"])


async def send_alert(ctx: dict[str, Any], tenant_id: str, alert: dict[str, Any]) -> None:
    """Send a failure alert (``app/triggers/alerts.py``). May run more than once: each
    send is claimed in the store first."""
    alerts: AlertSender = ctx["alerts"]
    await alerts.send(tenant_id, alert)


def notifier_of(settings: Settings, executor: Executor, clock: Clock) -> Notifier:
    """Notices (on_failure's inline actions, alerts) sent through the steps' gateway."""
    return Notifier(
        executor.store, executor.effects.gateway, Renderer(), clock, settings.action_timeout
    )


async def purge(ctx: dict[str, Any]) -> dict[str, int]:
    """Delete what each tenant's retention keeps no longer, in bounded batches. May run
    more than once."""
    retainer: Retainer = ctx["retainer"]
    deleted = await retainer.purge(ctx["clock"].now())
    LOGGER.info("retention: deleted %s", ", ".join(f"{n} {k}" for k, n in deleted.items()))
    return {kind.value: count for kind, count in deleted.items()}


def bulk_runs_of(settings: Settings, clock: Clock, store: Store, queue: ArqQueue) -> BulkRuns:
    """Bulk commands as the worker applies them: through run control, as the API would."""
    renderer = Renderer()
    limits = TenantLimitsCache(store, clock, settings.limits_cache_seconds)
    slots = run_slots(settings, store, queue, limits, renderer)
    family = Family(store, queue, clock, slots)
    control = RunControl(store, queue, ProgramCache(clock), clock, slots, family)
    audit = Audit(store, clock)
    return BulkRuns(store, clock, audit, settings.bulk_batch_size, control, queue)


class PollingWorker(ScriptedWorker):
    """An arq worker that tells after each poll that it polls (for readiness), whose holds
    are short and renewed while it lives, and that serves resumes before new runs.

    arq marks a job in progress for the job timeout plus 10 s, so a job whose worker was
    killed would be delivered again only that long after; the runs the job walked keep
    their leases as long. Here the mark lasts a run lease (plus a margin) and a task renews
    the marks of the jobs in progress, the claims of the resumes being walked and the leases
    of their runs, a few times a lease, whatever the jobs are doing.

    Resumes (``app/engine/flow/resumes.py``: timers, wakes of runs already started) are
    taken by a task of their own, up to ``max_jobs`` walks at once beside arq's jobs; while
    due ones wait for room, and around a burst of them, no new start job is taken
    (``intake``), and the resumes take the room arq's jobs leave too: at most twice
    ``max_jobs`` walks at once either way, or the worker's share of a burst seen ahead if
    larger (up to ``BURST_WALKS`` times ``max_jobs``) beside the start jobs still in flight
    (up to ``max_jobs``); a worker that stops leaves the workers a burst is split among."""

    def __init__(
        self,
        on_poll: Callable[[], None] | None,
        lease: float,
        intake: Intake,
        idle_poll_delay: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(lease, intake, idle_poll_delay, **options)
        self.on_poll = on_poll
        # The walks of resumes going on here, with what each claimed.
        self.resuming: dict[asyncio.Task[None], Claim] = {}
        # Set when a walk ends while due resumes wait: the claim comes at once.
        self.room = asyncio.Event()
        # When the next resume falls due (ms of the machine's clock), as of the last claim.
        self.next_due: int | None = None
        # This worker's share of the burst of resumes new runs are held off for (0: none).
        self.burst_share = 0
        # Set at the first poll, once the worker's start-up has built what walks need.
        self.polling = asyncio.Event()
        # In the API's process (automator dev): fewer start jobs at once while it serves.
        self.served_first: ServedFirst | None = None

    async def heart_beat(self) -> None:
        await super().heart_beat()
        if self.on_poll is not None:
            self.on_poll()

    async def main(self) -> None:
        renewing = asyncio.create_task(self._keep_holds())
        claiming = asyncio.create_task(self._claim_resumes())
        try:
            await super().main()
            claiming.cancel()
            # Stopped gracefully (or a burst ended): the resumes' walks end too.
            await asyncio.gather(*self.resuming)
            queue: ArqQueue | None = self.ctx.get("queue")
            if queue is not None:  # no longer one of the workers a burst is split among
                await queue.resumes.leave()
        finally:
            claiming.cancel()
            renewing.cancel()
            for task in self.resuming:
                task.cancel()

    async def _poll_iteration(self) -> None:
        self.polling.set()
        await super()._poll_iteration()
        # A burst worker (tests) ends once arq's queue is empty: not before the resumes are.
        # arq's jobs are taken meanwhile too; a resume's walk that enqueues one (a failure
        # to hand out) ends after it did.
        while self.burst and self.max_burst_jobs < 0 and await self._resumes_left():
            await asyncio.sleep(self.poll_delay_s)
            await super()._poll_iteration()

    def busy(self) -> bool:
        return super().busy() or bool(self.resuming)

    def working(self) -> None:
        if self.pace.quiet:
            self.room.set()  # the claim's wait, a quiet poll's delay, ends too
        super().working()

    async def _resumes_left(self) -> bool:
        queue: ArqQueue | None = self.ctx.get("queue")
        return bool(self.resuming) or (queue is not None and await queue.resumes.left() > 0)

    async def _claim_resumes(self) -> None:
        await self.polling.wait()
        while True:
            try:
                await self.claim_resumes()
            except Exception:  # Redis away: arq's own loop fails, and the supervisor acts
                LOGGER.warning("could not take due resumes", exc_info=True)
                self.next_due = None  # try again a poll later, not when it was due
            # Due resumes waiting for room are taken as soon as walks end, not a poll later,
            # and one falling due before the next poll when it does.
            await self._wait_for_room()

    async def _wait_for_room(self) -> None:
        """Until a walk makes room, or the next claim's time (``_until_claim``) comes: the
        room's event set by a loop timer, not ``asyncio.wait_for`` (a task, a future and
        their callbacks per claim, a few claims a second even while idle). Only the claim
        waits for the room, so its timer setting it tells no one else anything."""
        self.room.clear()
        timer = asyncio.get_running_loop().call_later(self._until_claim(), self.room.set)
        try:
            await self.room.wait()
        finally:
            timer.cancel()

    def _until_claim(self) -> float:
        """Seconds until the next claim: a poll (a quiet one's, ``Pace``), or less when a
        resume falls due sooner."""
        if self.next_due is None:
            return self.pace.delay
        due_in = (self.next_due - timestamp_ms()) / 1000
        return min(self.pace.delay, max(due_in, SOONEST_CLAIM))

    async def claim_resumes(self) -> None:
        """Take the due resumes there is room for, each walked in a task of its own."""
        queue: ArqQueue | None = self.ctx.get("queue")
        executor: Executor | None = self.ctx.get("executor")
        room = self._resume_room()
        stopping = self.burst and self.max_burst_jobs >= 0
        if queue is None or executor is None or stopping or room <= 0:
            self.intake.note(room <= 0, 0, max(room, 0), len(self.resuming))
            self.next_due = None  # a walk ending makes room, and wakes the claim
            return
        claimed = await queue.resumes.claim(
            room, self.lease + IN_PROGRESS_MARGIN, self.lease, self.intake.look_ahead
        )
        self.next_due, claims = claimed.next_due, claimed.claims
        for claim in claims:
            task = asyncio.create_task(resume(executor, queue.resumes, claim))
            self.resuming[task] = claim
            task.add_done_callback(self._resumed)
        if claims:
            self.working()
        # The hold compares what falls due with the resumes' own room, not with the room they
        # borrow while it lasts: else it would end as soon as it began.
        left = max(self.max_jobs - len(self.resuming), 0)
        self.intake.note(len(claims) == room, claimed.ahead, left, len(self.resuming))
        self._share(claimed)

    def _share(self, claimed: Claimed) -> None:
        """While new runs are held off for a burst seen ahead, this worker's share of it: what
        falls due within the look ahead, split among the workers claiming resumes."""
        if self.intake.open:
            self.burst_share = 0
        elif claimed.ahead:
            share = -(-claimed.ahead // claimed.workers)
            self.burst_share = max(self.burst_share, share)

    def _resume_room(self) -> int:
        """How many more walks of resumes may start now: ``max_jobs`` beside arq's jobs; while
        new runs are held off, the room arq's jobs leave too, and room for this worker's
        whole share of the burst seen ahead (up to ``BURST_WALKS`` times ``max_jobs``).

        A burst's walks go in rounds, each round's steps started before its runs are saved
        (one group commit) and its claims finished, and a later round's steps after all
        that: in rounds of 200, the last of 500 timers a worker took started after two
        rounds' saves, ends and finishes. Taken in one claim, each worker's share starts its
        steps before any of them is saved (bench/README.md, "Timers"). Start jobs still in
        flight when the burst falls due (their calls outlasted the hold) take none of that
        share: the part they took came a round later, after the rest's saves and ends."""
        room = self.max_jobs - len(self.resuming)
        if not self.intake.open:
            share = min(self.burst_share, BURST_WALKS * self.max_jobs)
            room = max(2 * self.max_jobs - self.job_counter, share) - len(self.resuming)
        return room

    def _room(self) -> int:
        room = super()._room()
        if self.served_first is None:
            return room
        return self.served_first.room(room, self.job_counter)

    def lent(self) -> int:
        """The walks of resumes in arq's jobs' room (taken while new runs were held off):
        no new start job takes that room until they end."""
        return max(len(self.resuming) - self.max_jobs, 0)

    def _resumed(self, task: "asyncio.Task[None]") -> None:
        self.resuming.pop(task, None)
        if self.intake.waiting:
            self.room.set()
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("a resume's walk failed", exc_info=task.exception())

    async def _keep_holds(self) -> None:
        while True:
            await asyncio.sleep(self.lease / RENEWALS_PER_LEASE)
            try:
                await self.renew_holds()
            except Exception:  # a missed renewal is retried next time; the task must live
                LOGGER.warning("could not renew this worker's holds", exc_info=True)

    async def renew_holds(self) -> None:
        """Extend the in-progress marks of the jobs running here, the claims of the resumes
        being walked and the leases of the runs they walk, by a lease from now."""
        if self._pool is None:
            return
        await self.renew_marks(self.lease + IN_PROGRESS_MARGIN)
        queue: ArqQueue | None = self.ctx.get("queue")
        if queue is not None:
            await queue.resumes.renew(list(self.resuming.values()), self.lease + IN_PROGRESS_MARGIN)
        executor: Executor | None = self.ctx.get("executor")
        if executor is not None:
            await executor.leases.renew()


def worker_task(
    settings: Settings,
    store: Store | None = None,
    clock: Clock | None = None,
    served_first: ServedFirst | None = None,
) -> Task:
    """The worker as a supervised task: a new arq worker at each start (a crashed one holds
    nothing worth keeping; its reconciler, run at start-up, catches up on what was missed),
    stopped gracefully when the process stops. arq's poll loop raises when Redis goes away:
    the supervisor starts it again."""

    async def task(part: Part) -> None:
        worker = create_worker(
            settings,
            store=store,
            on_poll=part.ready,
            clock=clock,
            served_first=served_first,
            handle_signals=False,
        )
        running = asyncio.create_task(worker.async_run())
        stopping = asyncio.create_task(part.stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await stop_gracefully(worker, running)

    return task


def _log_outbox(settings: Settings) -> None:
    channels = unprovided(settings)
    LOGGER.info(
        "Dev outbox on: %s %s no provider configured and deliver to the outbox "
        "(GET /api/outbox) unless a tenant configures one",
        ", ".join(channels) or "no channel",
        "has" if len(channels) == 1 else "have",
    )


def sub_workflows(settings: Settings, clock: Clock, store: Store, queue: ArqQueue) -> SubWorkflows:
    """The launcher of ``trigger_workflow`` steps: an ingestor with the API's flow control
    (rate limits, quota, throttles) over the worker's store and queue; it never matches
    triggers, so its matcher stays empty."""
    renderer = Renderer()
    limits = TenantLimitsCache(store, clock, settings.limits_cache_seconds)
    slots = run_slots(settings, store, queue, limits, renderer)
    matcher = Matcher(store, clock)
    ingestor = build_ingestor(settings, clock, store, queue, matcher, renderer, limits, slots)
    return SubWorkflows(store, ingestor, settings.max_request_bytes)
