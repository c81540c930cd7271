"""What a process needs to serve: built once at start-up and passed in."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TypeVar

from app import metrics
from app.actions.base import Services
from app.actions.channels.smtp import smtp_defaults
from app.actions.local.deployment import LocalTasks
from app.actions.net import address_guard, http_client
from app.actions.registry import Registry, default_registry
from app.alerts import Alerts
from app.approvals import Approvals
from app.audit import Audit
from app.bulk import BulkRuns
from app.clock import Clock, SystemClock
from app.configuration import Configuration
from app.datadir import private_dir
from app.engine.calls.gateway import Gateway
from app.engine.calls.integrations import Integrations
from app.engine.calls.keyring import Keyring
from app.engine.calls.masking import SCRUBBER
from app.engine.calls.messages import MessageTemplates
from app.engine.calls.secrets import Secrets
from app.engine.expressions.renderer import Renderer
from app.engine.flow.concurrency import RunSlots
from app.engine.flow.limiters import Limiters
from app.engine.flow.queue import ArqQueue
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.walk.control import RunControl
from app.engine.walk.family import Family
from app.engine.walk.jobs import approval_links, run_slots
from app.engine.walk.program import ProgramCache
from app.errors import redis_missing
from app.event_log import EventLog
from app.hooks import Hooks
from app.privacy import Privacy
from app.ratelimit import RateLimiter
from app.retention import Retainer, default_retention
from app.runs import Runs
from app.sessions import Sessions
from app.settings import Settings
from app.store.factory import open_store
from app.store.protocol import Store
from app.supervisor import Supervisor
from app.tenancy import ApiKeys, KeyCache, Tenants
from app.triggers.admission import Admission
from app.triggers.ai_budget import AiCosts
from app.triggers.alerts import AlertCheck
from app.triggers.ingest import Ingestor
from app.triggers.matcher import Matcher
from app.triggers.scheduler import Misfire, Scheduler
from app.workflows import DocumentParser, WorkflowService

T = TypeVar("T")


@dataclass
class Engine:
    """The parts that need Redis: accepting events and controlling runs."""

    queue: ArqQueue
    ingestor: Ingestor
    control: RunControl
    scheduler: Scheduler
    limiters: Limiters
    limits: TenantLimitsCache
    limiter: RateLimiter
    sessions: Sessions
    # Deliveries per inbound webhook (``/hooks/{hook_id}``), which carry no API key.
    hook_limiter: RateLimiter


@dataclass
class Resources:
    settings: Settings
    # The process's one clock: everything that stamps, schedules or expires reads it.
    clock: Clock
    store: Store
    workflows: WorkflowService
    matcher: Matcher
    programs: ProgramCache
    renderer: Renderer
    keys: KeyCache
    registry: Registry
    secrets: Secrets
    integrations: Integrations
    redis_engine: Engine | None
    templates: MessageTemplates
    # Calls connectors outside runs (``POST /api/integrations/test``), as workers do.
    gateway: Gateway
    runs: Runs
    events: EventLog
    bulk: BulkRuns
    hooks: Hooks
    privacy: Privacy
    retention: Retainer
    api_keys: ApiKeys
    configuration: Configuration
    approvals: Approvals
    alerts: Alerts
    # The long-lived tasks this process runs besides the API (``automator dev``), for /ready.
    supervisor: Supervisor = field(default_factory=Supervisor)

    @property
    def tenants(self) -> Tenants:
        """The operator's service (it holds nothing of its own)."""
        return Tenants(self.store, self.clock, self.api_keys)

    @property
    def engine(self) -> Engine:
        if self.redis_engine is None:
            raise redis_missing()
        return self.redis_engine


def build_ingestor(
    settings: Settings,
    clock: Clock,
    store: Store,
    queue: ArqQueue,
    matcher: Matcher,
    renderer: Renderer,
    limits: TenantLimitsCache,
    slots: RunSlots,
) -> Ingestor:
    """What starts runs, with flow control: the API's (events, schedules, run now) and a
    worker's (sub-workflows)."""
    window = timedelta(seconds=settings.idempotency_window)
    admission = Admission(
        Limiters(queue.pool, Keyring.from_settings(settings).flow_secret()),
        limits,
        renderer,
        store,
        clock,
        settings.delay_scale,
        AiCosts.from_settings(store, settings),
    )
    family = Family(store, queue, clock, slots)
    return Ingestor(
        store,
        matcher,
        queue,
        renderer,
        clock,
        window,
        settings.profile_max_bytes,
        admission,
        slots,
        family,
    )


def _engine(
    settings: Settings,
    clock: Clock,
    store: Store,
    audit: Audit,
    matcher: Matcher,
    programs: ProgramCache,
    renderer: Renderer,
    keys: KeyCache,
) -> Engine | None:
    if not settings.redis_url:
        return None
    queue = ArqQueue.from_url(settings.redis_url, clock)
    limiters = Limiters(queue.pool, Keyring.from_settings(settings).flow_secret())
    limits = TenantLimitsCache(store, clock, settings.limits_cache_seconds)
    slots = run_slots(settings, store, queue, limits, renderer)
    ingestor = build_ingestor(settings, clock, store, queue, matcher, renderer, limits, slots)
    scheduler = Scheduler(
        store,
        ingestor,
        queue.pool,
        clock,
        Misfire(settings.schedule_misfire),
        segment_max_members=settings.segment_max_members,
        alerts=AlertCheck(store, queue, settings.base_url, settings.alert_check_seconds),
    )
    family = Family(store, queue, clock, slots)
    control = RunControl(store, queue, programs, clock, slots, family)
    limiter = RateLimiter(queue.pool, settings.rate_limit, settings.rate_limit_window)
    sessions = Sessions(
        queue.pool, keys, audit, settings.session_seconds, settings.sign_in_failures
    )
    hook_limiter = RateLimiter(
        queue.pool, settings.hook_rate_limit, settings.hook_rate_limit_window
    )
    return Engine(
        queue, ingestor, control, scheduler, limiters, limits, limiter, sessions, hook_limiter
    )


def _runs(
    clock: Clock,
    audit: Audit,
    workflows: WorkflowService,
    programs: ProgramCache,
    renderer: Renderer,
    registry: Registry,
    engine: Engine | None,
) -> Runs:
    """Runs share the process's caches; only with Redis do they start and take commands."""
    runs = Runs(workflows.store, clock, audit, workflows, programs, renderer, registry)
    if engine is None:
        return runs
    return replace(runs, ingestor=engine.ingestor, control=engine.control)


def _bulk(
    settings: Settings, clock: Clock, audit: Audit, store: Store, engine: Engine | None
) -> BulkRuns:
    """Bulk commands: counted without Redis, requested (their jobs enqueued) with it."""
    bulk = BulkRuns(store, clock, audit, settings.bulk_batch_size)
    if engine is None:
        return bulk
    return replace(bulk, control=engine.control, queue=engine.queue)


@asynccontextmanager
async def open_resources(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Resources]:
    """Everything the process serves with, over ``clock`` (the system's unless given)."""
    clock = clock or SystemClock()
    metrics.limit_workflow_labels(settings.metrics_max_workflows)
    if settings.mongodb_url is None or settings.secrets_key is None:
        private_dir(settings.data_dir)  # the SQLite database or the secrets key lives there
    store = await open_store(settings, clock)
    audit = Audit(store, clock)
    matcher, programs, renderer = Matcher(store, clock), ProgramCache(clock), Renderer()
    keys = KeyCache(store, clock, settings.key_cache_seconds)
    engine = _engine(settings, clock, store, audit, matcher, programs, renderer, keys)
    registry = default_registry(settings.connector_modules)
    parser = DocumentParser.from_settings(settings, registry)
    workflows = WorkflowService(
        store, parser, audit, matcher=matcher, connector_defaults=settings.connector_defaults
    )
    SCRUBBER.install()
    templates = MessageTemplates(store, renderer)
    http = http_client(settings)
    services = Services(
        http=http,
        guard=address_guard(settings),
        smtp=smtp_defaults(settings),
        outbox=store if settings.outbox else None,
        ai_prices=settings.ai_prices,
        usage=store,
        local=LocalTasks.from_settings(settings),
        clock=clock,
    )
    try:
        keyring = Keyring.from_settings(settings)
        secrets = Secrets(store, keyring, SCRUBBER, settings.secrets_env_tenants)
        integrations = Integrations(
            store, registry, settings.connector_defaults, clock, settings.integrations_cache_seconds
        )
        gateway = Gateway(registry, secrets, integrations, services, templates)
        runs = _runs(clock, audit, workflows, programs, renderer, registry, engine)
        runs = replace(runs, gateway=gateway)
        limits = None if engine is None else engine.limits
        configuration = Configuration(store, audit, secrets, integrations, limits)
        yield Resources(
            settings,
            clock,
            store,
            workflows,
            matcher,
            programs,
            renderer,
            keys,
            registry,
            secrets,
            integrations,
            engine,
            templates=templates,
            gateway=gateway,
            runs=runs,
            events=EventLog(
                store, audit, None if engine is None else engine.ingestor, matcher=matcher
            ),
            bulk=_bulk(settings, clock, audit, store, engine),
            hooks=Hooks(
                store,
                clock,
                audit,
                secrets,
                Renderer(reads="the delivery"),
                None if engine is None else engine.ingestor,
            ),
            privacy=Privacy(store, audit, None if engine is None else engine.control),
            retention=Retainer(store, audit, default_retention(settings), settings.retention_batch),
            api_keys=ApiKeys(store, clock, audit, keys),
            configuration=configuration,
            approvals=Approvals(
                store,
                clock,
                audit,
                engine.queue if engine else None,
                approval_links(settings, keyring),
            ),
            alerts=Alerts(store, audit, parser.rules, gateway),
        )
    finally:
        await http.aclose()
        if engine is not None:
            await engine.queue.close()
        await keys.recorded()
        await store.close()


def with_resources(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    """``work`` done over resources opened for it alone, in an event loop of its own: a
    command's one job on the store (``automator import``, the first start's key)."""

    async def run() -> T:
        async with open_resources(settings) as resources:
            return await work(resources)

    return asyncio.run(run())
