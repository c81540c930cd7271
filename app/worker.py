"""The arq worker, composed: its jobs (``app/engine/walk/jobs.py``) over resources built at
start-up.

It sits above ``app.resources`` and ``app.triggers`` because a worker starts runs too: a
``trigger_workflow`` step starts its sub-run through the same ingestor as an event, which the
engine cannot import, so it is handed to the executor here as a ``Launcher``.
"""

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker, func

from app import metrics
from app.actions.base import Services
from app.actions.breaker import RedisBreaker
from app.actions.channels.outbox import unprovided
from app.actions.channels.smtp import smtp_defaults
from app.actions.net import address_guard, http_client
from app.actions.registry import Registry, default_registry
from app.engine.calls.masking import SCRUBBER
from app.engine.expressions.templates import Renderer
from app.engine.flow.queue import ADVANCE_RUN, ArqQueue, deserialize, serialize
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.walk.jobs import (
    RECONCILE_PERIOD,
    advance_run,
    build_executor,
    purge,
    reconcile,
    run_slots,
)
from app.resources import build_ingestor
from app.settings import Settings
from app.store.factory import open_store
from app.store.protocol import Store
from app.triggers.matcher import Matcher
from app.triggers.sub_workflows import SubWorkflows

LOGGER = logging.getLogger(__name__)


def create_worker(
    settings: Settings, registry: Registry | None = None, store: Store | None = None,
    **overrides: Any,
) -> Worker:  # fmt: skip
    """A worker for ``settings.redis_url``. It opens its own store unless given one (one
    SQLite connection per process avoids lock contention). ``overrides`` are arq Worker
    options (tests use ``burst=True``)."""
    assert settings.redis_url, "the worker needs AUTOMATOR_REDIS_URL"

    async def startup(ctx: dict[str, Any]) -> None:
        metrics.limit_workflow_labels(settings.metrics_max_workflows)
        SCRUBBER.install()
        opened = store or await open_store(settings)
        queue = ArqQueue(ctx["redis"])
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
        )
        if settings.outbox:
            _log_outbox(settings)
        launcher = sub_workflows(settings, opened, queue)
        ctx["executor"] = build_executor(settings, opened, queue, connectors, services, launcher)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "http" in ctx:
            await ctx["http"].aclose()
        if store is None and "store" in ctx:
            await ctx["store"].close()

    options: dict[str, Any] = {
        "functions": [func(advance_run, name=ADVANCE_RUN)],
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
    return Worker(**(options | overrides))


def _log_outbox(settings: Settings) -> None:
    channels = unprovided(settings)
    LOGGER.info(
        "Dev outbox on: %s %s no provider configured and deliver to the outbox "
        "(GET /api/outbox) unless a tenant configures one",
        ", ".join(channels) or "no channel",
        "has" if len(channels) == 1 else "have",
    )


def sub_workflows(settings: Settings, store: Store, queue: ArqQueue) -> SubWorkflows:
    """The launcher of ``trigger_workflow`` steps: an ingestor with the API's flow control
    (rate limits, quota, throttles) over the worker's store and queue; it never matches
    triggers, so its matcher stays empty."""
    renderer = Renderer()
    limits = TenantLimitsCache(store, settings.limits_cache_seconds)
    slots = run_slots(settings, store, queue, limits, renderer)
    ingestor = build_ingestor(settings, store, queue, Matcher(store), renderer, limits, slots)
    return SubWorkflows(store, ingestor, settings.max_request_bytes)
