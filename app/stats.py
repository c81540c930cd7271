"""Workflow metrics over a period (the seed's ``workflow_metrics``), from the store's counts.

Executions are the runs created in the period, whatever their state now; the success rate
and the average execution time are over the ones finished as completed or failed; execution
time is active time (delays and waits excluded, as for ``settings.timeout``). The runs that
ever failed count a failed run retried since too: the Dashboard's failures.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.models.run import RunStatus
from app.models.stats import Period, RunTally
from app.models.usage import UsageTally
from app.models.workflow import Page, WorkflowFilter
from app.store.protocol import Store
from app.store.rules import UNFINISHED

# Heads read per page when counting a tenant's active workflows.
PAGE = 1000


@dataclass
class Metrics:
    total_executions: int = 0
    successful_executions: int = 0
    failed_executions: int = 0
    ever_failed_executions: int = 0
    cancelled_executions: int = 0
    running_executions: int = 0
    waiting_executions: int = 0
    paused_executions: int = 0
    active_workflows: int = 0
    total_triggers: int = 0
    finished_seconds: float = 0.0
    ai_usage: UsageTally = field(default_factory=UsageTally)

    def add(self, tally: RunTally) -> None:
        self.total_executions += tally.count
        self.ever_failed_executions += tally.failed_once
        if tally.status == RunStatus.COMPLETED:
            self.successful_executions += tally.count
        elif tally.status == RunStatus.FAILED:
            self.failed_executions += tally.count
        elif tally.status == RunStatus.CANCELLED:
            self.cancelled_executions += tally.count
        elif tally.status in UNFINISHED:
            self.running_executions += tally.count
            # Of those, the ones no worker is busy with: a chart tells them apart.
            if tally.status == RunStatus.WAITING:
                self.waiting_executions += tally.count
            elif tally.status == RunStatus.PAUSED:
                self.paused_executions += tally.count
        if tally.status in (RunStatus.COMPLETED, RunStatus.FAILED):
            self.finished_seconds += tally.active_seconds

    @property
    def success_rate(self) -> float | None:
        """Percent of finished runs (completed or failed) that completed; None if none."""
        finished = self.successful_executions + self.failed_executions
        return None if finished == 0 else round(100 * self.successful_executions / finished, 2)

    @property
    def average_execution_time(self) -> float | None:
        """Mean active seconds of the completed and failed runs; None if none."""
        finished = self.successful_executions + self.failed_executions
        return None if finished == 0 else round(self.finished_seconds / finished, 3)


@dataclass
class Report:
    period: Period
    totals: Metrics
    workflows: dict[str, Metrics] = field(default_factory=dict)


def _by_workflow(tallies: Iterable[RunTally]) -> dict[str, Metrics]:
    workflows: dict[str, Metrics] = {}
    for tally in tallies:
        workflows.setdefault(tally.workflow_id, Metrics()).add(tally)
    for metrics in workflows.values():
        metrics.total_triggers = metrics.total_executions
    return workflows


async def tenant_report(store: Store, tenant_id: str, period: Period) -> Report:
    """The tenant's figures, and each workflow's that ran in the period."""
    tallies = await store.run_tallies(tenant_id, period, None)
    totals = Metrics()
    for tally in tallies:
        totals.add(tally)
    totals.total_triggers = await store.count_events(tenant_id, period)
    active = await _active_workflows(store, tenant_id)
    totals.active_workflows = len(active)
    workflows = _by_workflow(tallies)
    for workflow_id, usage in (await store.ai_usage(tenant_id, period)).items():
        totals.ai_usage += usage
        if workflow_id:
            workflows.setdefault(workflow_id, Metrics()).ai_usage = usage
    for workflow_id, metrics in workflows.items():
        metrics.active_workflows = int(workflow_id in active)
    return Report(period, totals, workflows)


async def workflow_report(store: Store, tenant_id: str, workflow_id: str, period: Period) -> Report:
    """One workflow's figures; NotFound for a workflow the tenant does not have."""
    head = await store.get_workflow(tenant_id, workflow_id)
    found = _by_workflow(await store.run_tallies(tenant_id, period, workflow_id))
    totals = found.get(workflow_id, Metrics())
    usage = await store.ai_usage(tenant_id, period, workflow_id)
    totals.ai_usage = usage.get(workflow_id, UsageTally())
    totals.active_workflows = int(head.enabled and head.active_version is not None)
    return Report(period, totals, {workflow_id: totals})


async def _active_workflows(store: Store, tenant_id: str) -> set[str]:
    """Enabled, published and not archived: the workflows events can start now."""
    active: set[str] = set()
    after = None
    while True:
        heads = await store.list_workflows(
            tenant_id, WorkflowFilter(enabled=True), Page(PAGE, after)
        )
        active.update(head.workflow_id for head in heads if head.active_version is not None)
        if len(heads) < PAGE:
            return active
        after = heads[-1].workflow_id


@dataclass(frozen=True)
class Bucket:
    """One slice of a period and its figures."""

    period: Period
    metrics: Metrics


async def series(
    store: Store, tenant_id: str, period: Period, buckets: int, workflow_id: str | None
) -> list[Bucket]:
    """``period`` cut into ``buckets`` equal slices, oldest first, each with its figures
    (active workflows left at 0: they are a count of now). NotFound for a workflow the tenant
    does not have."""
    if workflow_id is not None:
        await store.get_workflow(tenant_id, workflow_id)
    step = (period.until - period.since) / buckets
    bounds = [period.since + step * i for i in range(buckets)] + [period.until]
    slices = [Period(start, end) for start, end in itertools.pairwise(bounds)]
    return [Bucket(part, await _figures(store, tenant_id, part, workflow_id)) for part in slices]


async def _figures(store: Store, tenant_id: str, part: Period, workflow_id: str | None) -> Metrics:
    metrics = Metrics()
    for tally in await store.run_tallies(tenant_id, part, workflow_id):
        metrics.add(tally)
    for usage in (await store.ai_usage(tenant_id, part, workflow_id)).values():
        metrics.ai_usage += usage
    if workflow_id is None:
        metrics.total_triggers = await store.count_events(tenant_id, part)
    else:
        metrics.total_triggers = metrics.total_executions
    return metrics
