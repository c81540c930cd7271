"""The arq worker's jobs, thin over the executor, and the executor they share (the worker
itself is composed in ``app/worker.py``, above the triggers its sub-workflows start through).

Every job may run more than once (arq delivers at least once; the reconciler re-enqueues),
so each one is idempotent: the run's lease and status decide whether anything happens.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from arq.worker import Retry, Worker
from redis.exceptions import RedisError

from app import metrics
from app.actions.base import Services
from app.actions.registry import Registry
from app.clock import Clock
from app.engine.calls.gateway import Gateway
from app.engine.calls.integrations import Integrations
from app.engine.calls.keyring import Keyring
from app.engine.calls.masking import SCRUBBER
from app.engine.calls.messages import MessageTemplates
from app.engine.calls.secrets import Secrets
from app.engine.expressions.renderer import Renderer
from app.engine.flow.concurrency import RunSlots
from app.engine.flow.leases import Leases
from app.engine.flow.limiters import Limiters
from app.engine.flow.queue import ArqQueue
from app.engine.flow.resumes import Claim, Resumes
from app.engine.flow.scripted_worker import START_LEASES, ScriptedWorker
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.walk.approvals import APPROVAL_LINKS, Links
from app.engine.walk.control import wait_timer
from app.engine.walk.executor import Executor, StoreEffects, transient
from app.engine.walk.family import Family, failure_handled, failures, started_by_on_failure
from app.engine.walk.launcher import Launcher
from app.engine.walk.program import ProgramCache
from app.engine.walk.send_guard import SendGuard
from app.engine.walk.walker import Walker
from app.errors import NotFound
from app.models.run import ArmedRun, Run
from app.settings import Settings
from app.store.protocol import Store

log = logging.getLogger(__name__)
RECONCILE_BATCH = 1000
# A job finding a due run's lease taken comes back this many times, later each time; then
# the reconciler has the run once the lease runs out.
BUSY_RETRIES = 4
BUSY_RETRY_SECONDS = 0.2
RECONCILE_PERIOD = 10
# How far back a worker's first reconcile looks for failed runs whose on_failure job was lost.
FAILURES_LOOKBACK = timedelta(days=1)
# The worker's context entry of its reconciler's ``ReconcilerPasses``.
RECONCILER_PASSES = "reconciler_passes"


async def advance_run(ctx: dict[str, Any], tenant_id: str, run_id: str) -> None:
    """Advance one run as far as it can go now. May run more than once. The worker may
    have leased the run as it took the job (``START_LEASES``, given back by the worker once
    the job ends); else the walk takes the lease. A job that finds another worker walking a
    run that is due (an event answered its wait meanwhile) comes back shortly rather than
    leave the run to the reconciler (which would wait for the lease to run out)."""
    executor: Executor = ctx["executor"]
    lease = ctx.get(START_LEASES, {}).get(ctx["job_id"])
    if await executor.advance(tenant_id, run_id, lease) or ctx["job_try"] >= BUSY_RETRIES:
        return
    if await executor.due(tenant_id, run_id):
        raise Retry(defer=BUSY_RETRY_SECONDS * ctx["job_try"])


async def resume(executor: Executor, resumes: Resumes, claim: Claim) -> None:
    """Advance the run of a resume a worker claimed (``app/engine/flow/resumes.py``); then
    the member and the run's lease go. A walk stopped by the store or Redis failing leaves
    both to lapse: the member falls due again when its claim does, and the walk is retried
    then. Any other failure (a run whose record does not read) would recur as often: its
    member comes back after a growing wait, and the failure is logged and counted
    (``automator_resume_failures_total``)."""
    try:
        await executor.advance(claim.tenant_id, claim.run_id, claim.token)
    except transient():
        log.exception("resuming run %s failed; it is retried when its claim lapses", claim.run_id)
        return
    except Exception:
        metrics.resume_failed()
        wait = await resumes.defer(claim)
        log.exception("resuming run %s failed; it is tried again in %.0f s", claim.run_id, wait)
        return
    await resumes.finish(claim)


@dataclass
class ReconcilerPasses:
    """What a worker's reconciler keeps from one pass to the next, in the worker's context
    (``RECONCILER_PASSES``), an object because arq hands each job a copy of that context: a
    flag set in the copy would be gone by the next pass, which would then take every run due
    by now, the queued start jobs' runs too (each then walked by a resume, and its start job
    finding nothing left to do). ``started`` is when the worker started: its first pass takes
    the runs due before it, not those the API made since, which have jobs of their own."""

    started: datetime
    first_done: bool = False


async def reconcile(ctx: dict[str, Any]) -> int:
    """Enqueue runs that are overdue and have no live job (Redis lost it, or its worker
    died). May run more than once: a second job for a live run finds its lease taken.

    A Redis that lost its data since the last pass (the worker's start arms a new one's
    timers itself) gets them armed again.
    The first pass of a worker (at its start, after a crash or an outage too) takes every
    run due by the worker's start: what Redis lost while it was down is due again at once,
    not a grace period later; a run that still has its job gets a second one, which finds
    nothing to do. Runs made after the start (events taken while the first pass waited for
    its turn) have their jobs: a later pass takes them if those are lost.
    Bulk jobs that made no progress within the grace get their next batch again.
    """
    settings: Settings = ctx["settings"]
    executor: Executor = ctx["executor"]
    queue: ArqQueue = ctx["queue"]
    passes: ReconcilerPasses = ctx[RECONCILER_PASSES]
    now = executor.effects.now()
    await rearm_if_forgotten(executor.store, queue, now)
    grace = settings.reconcile_grace if passes.first_done else 0
    due_by = now - timedelta(seconds=grace) if passes.first_done else min(now, passes.started)
    overdue = await executor.store.due_runs(due_by, RECONCILE_BATCH)
    passes.first_done = True
    await queue.overdue(overdue)
    if overdue:
        metrics.requeued(len(overdue))
        log.warning("reconciler re-enqueued %d overdue runs", len(overdue))
    await resume_bulk_jobs(executor.store, queue, now - timedelta(seconds=grace))
    # After the first pass, only the runs that failed since the one before (and a grace
    # ago, so their own job has been taken); the first looks a day back.
    since = now - (
        FAILURES_LOOKBACK if grace == 0 else timedelta(seconds=grace + RECONCILE_PERIOD * 2)
    )
    await hand_out_failures(executor.store, queue, since, now - timedelta(seconds=grace))
    return len(overdue)


async def hand_out_failures(store: Store, queue: ArqQueue, since: datetime, until: datetime) -> int:
    """Enqueue again the on_failure job of each run that failed in [since, until), whose
    version sets an on_failure and whose history has no on_failure note for that failure
    (each one: the failed runs are read page by page): its job may have been lost (Redis
    lost its data, or could not be reached when the failure was saved). A job Redis still
    holds (queued, or its result, kept an hour) keeps its id, so arq refuses the copy; one
    run again finds its error workflow's run by its key and its sends claimed."""
    handed, after = 0, None
    sets_off: dict[tuple[str, str, int], bool] = {}
    while True:
        page = await store.failed_runs(since, until, after, RECONCILE_BATCH)
        for run in page:
            if await _job_to_do(store, run, sets_off):
                await queue.run_failed(run.tenant_id, run.run_id, failures(run))
                handed += 1
        if len(page) < RECONCILE_BATCH:
            return handed
        after = (page[-1].updated_at, page[-1].run_id)


async def _job_to_do(store: Store, run: Run, sets_off: dict[tuple[str, str, int], bool]) -> bool:
    """Whether the failed run's on_failure has work left: its version sets one, the run is
    no error workflow's, and its latest failure is not noted as handled. ``sets_off``
    remembers each version's answer for the pass."""
    if failure_handled(run) or started_by_on_failure(run):
        return False
    version = (run.tenant_id, run.workflow_id, run.version)
    if version not in sets_off:
        try:
            saved = await store.get_version(*version)
        except NotFound:
            saved = None
        settings = {} if saved is None else saved.document.get("settings") or {}
        sets_off[version] = settings.get("on_failure") is not None
    return sets_off[version]


async def resume_bulk_jobs(store: Store, queue: ArqQueue, before: datetime) -> int:
    """Enqueue again the next batch of every bulk job still running with no progress saved
    since ``before``: Redis may have lost its batch job (or the process that made the job
    died before enqueueing its first). A batch job that is still queued or running keeps
    its id, so arq refuses the copy; a batch that runs twice does nothing."""
    stalled = await store.stalled_bulk_jobs(before, RECONCILE_BATCH)
    for job in stalled:
        await queue.bulk_batch(job.tenant_id, job.job_id, job.cursor)
    if stalled:
        log.warning("reconciler enqueued the next batch of %d bulk jobs again", len(stalled))
    return len(stalled)


async def rearm_if_forgotten(store: Store, queue: ArqQueue, now: datetime) -> int:
    """``rearm`` if Redis lost its data since the last look, or may have (it is new, or
    restarted: ``ArqQueue.forgot``). A worker looks at its start, before it says it is
    ready and takes any job, not at its first reconcile pass a poll later: that pass would
    also arm the runs made meanwhile, which have jobs of their own, so each would be walked
    twice over (the second walk finding nothing to do) and by a resume, which a worker
    bound to serve its API first does not bound."""
    if not await queue.forgot():
        return 0
    return await rearm(store, queue, now)


async def rearm(store: Store, queue: ArqQueue, now: datetime) -> int:
    """Enqueue a job for every pending or waiting run at its due time (now when past), under
    its wait's timer id (``wait_timer``, the runs read a page at a time), so a Redis taken
    for new that still holds a timer keeps one, not two: Redis lost its data (or may have:
    restarted, ``ArqQueue.forgot``), and with it the deferred jobs of starts, delays,
    retries and waits, which the grace period would otherwise leave up to a reconciler
    period plus the grace late. A run due to start, or whose record does not read, gets
    one of its own (the latter's walk then backs off, as ``resume`` says). Running runs are
    left to their leases: a job at each lease's end would only find the run still walked
    (or, its worker gone, do what the reconciler's next pass does). A timer armed since (a
    wake of a run answered after its page was read) keeps its time when sooner."""
    armed, after = 0, None
    while page := await store.armed_runs(after, RECONCILE_BATCH):
        for timer in page:
            job_id = (timer.run and wait_timer(timer.run)) or _rearm_id(timer)
            due = timer.due_at if timer.due_at > now else None
            # Brought forward, never put back: a wake since the page was read stands.
            await queue.wake(timer.tenant_id, timer.run_id, job_id, due)
        armed += len(page)
        after = (page[-1].due_at, page[-1].run_id)
    if armed:
        log.warning("Redis is new, restarted or emptied: armed %d timers again", armed)
    return armed


def _rearm_id(timer: ArmedRun) -> str:
    return f"{timer.run_id}:rearm:{timer.due_at.timestamp():.6f}"


def build_executor(
    settings: Settings,
    store: Any,
    queue: ArqQueue,
    registry: Registry,
    services: Services,
    clock: Clock,
    launcher: Launcher | None = None,
) -> Executor:
    keyring = Keyring.from_settings(settings)
    secrets = Secrets(store, keyring, SCRUBBER, settings.secrets_env_tenants)
    integrations = Integrations(
        store, registry, settings.connector_defaults, clock, settings.integrations_cache_seconds
    )
    renderer = Renderer()
    templates = MessageTemplates(store, renderer)
    gateway = Gateway(registry, secrets, integrations, services, templates)
    renderer, limiters = Renderer(), Limiters(queue.pool, keyring.flow_secret())
    limits = TenantLimitsCache(store, clock, settings.limits_cache_seconds)
    slots = run_slots(settings, store, queue, limits, renderer)
    family = Family(store, queue, clock, slots)
    effects = StoreEffects(
        store, clock, queue, gateway, settings.run_lease_seconds, family, launcher
    )
    walker = Walker(
        effects,
        renderer,
        budget=settings.job_timeout * 0.8,
        delay_scale=settings.delay_scale,
        action_timeout=settings.action_timeout,
        guard=SendGuard(renderer, limits, limiters),
        max_depth=settings.max_workflow_depth,
        join_recheck=settings.join_recheck_seconds,
        links=approval_links(settings, keyring),
    )
    leases = Leases(queue.pool, seconds=settings.run_lease_seconds)
    return Executor(store, leases, ProgramCache(clock), walker, effects, slots)


def approval_links(settings: Settings, keyring: Keyring) -> Links:
    """The signer of approval links: the worker's (which renders them) and the API's (which
    checks them) agree because they share the secrets master key."""
    return Links(keyring.derive(APPROVAL_LINKS), settings.base_url)


def run_slots(
    settings: Settings,
    store: Store,
    queue: ArqQueue,
    limits: TenantLimitsCache,
    renderer: Renderer,
) -> RunSlots:
    """Concurrency limits; a slot outlives its run's due time by a walk, the reconciler's
    grace and one reconciler period."""
    lease = settings.job_timeout + settings.reconcile_grace + RECONCILE_PERIOD
    limiters = Limiters(queue.pool, Keyring.from_settings(settings).flow_secret())
    return RunSlots(limiters, store, queue, limits, renderer, lease, settings.flow_recheck_seconds)


async def stop_gracefully(worker: Worker, running: "asyncio.Task[None]") -> None:
    """Stop a worker whose ``async_run`` is the task ``running``: it picks no new job, the
    jobs in progress end (each within the job timeout), then its Redis pool closes.

    arq's ``close`` cancels jobs in progress instead, and its main loop only once the pool is
    closed: a job or a poll cut short while it talks to Redis keeps a connection open past
    the pool's close (and a walk cut short leaves its run's lease behind)."""
    # A burst worker that may start no more jobs ends its loop at the next poll, after
    # awaiting the jobs it started.
    worker.burst, worker.max_burst_jobs = True, 0
    if isinstance(worker, ScriptedWorker):
        # An idle worker may be resting between quiet polls (up to its idle delay): its loop
        # comes round now, sees the stop, and rests no more.
        worker.working()
    try:
        await running
    finally:
        await _close(worker)


async def _close(worker: Worker) -> None:
    """Close a worker; with Redis gone (why a worker usually crashes) its health key cannot
    be deleted, so what arq's ``close`` skips then is done here: shutdown and the pool."""
    try:
        await worker.close()
    except (RedisError, OSError):
        if worker.on_shutdown is not None:
            await worker.on_shutdown(worker.ctx)
        await worker.pool.close(close_connection_pool=True)
