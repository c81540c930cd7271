"""Prometheus metrics: the figures an operator graphs and alerts on.

Every metric lives in the process's default registry, so ``automator dev`` (API, worker and
scheduler in one process) shows them all on one ``/metrics``; a separate worker or scheduler
serves its own on ``AUTOMATOR_METRICS_PORT``.

Label values are bounded, because each distinct value is a time series kept forever by every
Prometheus that scrapes us: reasons and statuses are fixed sets, action types come from the
connector registry, and ``tenant``/``workflow`` pairs are labelled one by one up to
``AUTOMATOR_METRICS_MAX_WORKFLOWS`` per process; later pairs share the label ``_other``. Exact
figures per workflow, however many there are, come from ``GET /api/stats``.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import cast

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from app.models.run import Accepted, Run, RunStatus, StepRecord, StepStatus

# A `*_created` timestamp beside every counter doubles the series and helps no query.
cast(Callable[[], None], disable_created_metrics)()  # the library leaves it untyped

OTHER = "_other"
KINDS = {RunStatus.WAITING: "timer", RunStatus.RUNNING: "recovery"}
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

EVENTS_ACCEPTED = Counter(
    "automator_events_accepted_total",
    "Events answered 202; `outcome` is `new`, or `duplicate` (idempotency key seen before).",
    ["outcome"],
)
EVENTS_REJECTED = Counter(
    "automator_events_rejected_total",
    "Event requests refused, by `reason`: the error code of the answer (a refused batch "
    "counts once).",
    ["reason"],
)
RUNS_STARTED = Counter(
    "automator_runs_started_total",
    "Runs created by events, schedules and run-now.",
    ["tenant", "workflow"],
)
RUNS_FINISHED = Counter(
    "automator_runs_finished_total",
    "Runs that reached completed, failed or cancelled.",
    ["tenant", "workflow", "status"],
)
STEP_SECONDS = Histogram(
    "automator_step_duration_seconds",
    "Time one step attempt took (rendering and the connector call), by action type and "
    "the attempt's status.",
    ["action_type", "status"],
    buckets=SECONDS,
)
STEP_RETRIES = Counter(
    "automator_step_retries_total",
    "Step attempts that failed with a retryable error and will be tried again.",
    ["action_type"],
)
AI_TOKENS = Counter(
    "automator_ai_tokens_total",
    "Tokens AI steps sent (`direction` `input`) and received (`output`); cached answers "
    "count none.",
    ["tenant", "workflow", "direction"],
)
AI_COST = Counter(
    "automator_ai_cost_dollars_total",
    "US dollars AI steps spent, by the deployment's price table.",
    ["tenant", "workflow"],
)
LATENESS = Histogram(
    "automator_run_lateness_seconds",
    "How long after its due time a worker picked a run up: `start` for new, resumed and "
    "retried runs, `timer` for delays, retry waits and hand-overs, `recovery` for a run "
    "whose worker died (due when its lease ended).",
    ["kind"],
    buckets=SECONDS,
)
RECONCILED = Counter(
    "automator_reconciler_requeued_total",
    "Overdue runs the reconciler enqueued again (Redis lost their job, or a worker died).",
)
RESUME_FAILURES = Counter(
    "automator_resume_failures_total",
    "Walks of runs already started that failed on something other than the store or Redis "
    "being down (a run whose record does not read), each tried again after a growing wait.",
)
NOTICES = Counter(
    "automator_notices_total",
    "Sends made outside runs: `on_failure` actions and `alert`s, by outcome (`sent`, "
    "`failed`, `claimed`: claimed by an earlier delivery of the same job, not sent again).",
    ["kind", "outcome"],
)
QUEUE_JOBS = Gauge(
    "automator_queue_jobs",
    "Jobs in the queue: `ready` (due now, waiting for a worker or being run) and `deferred` "
    "(delays, retry waits, and resumes being walked). Read from Redis when /metrics is scraped.",
    ["state"],
)
LIVE_RUNS = Gauge(
    "automator_runs_live",
    "Runs not finished, across tenants, by status. Read from the store when /metrics is scraped.",
    ["status"],
)


class WorkflowLabels:
    """The first ``limit`` (tenant, workflow) pairs seen keep their own labels; later ones
    share ``_other``, so a tenant creating workflows in a loop cannot flood Prometheus."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[tuple[str, str]] = set()

    def __call__(self, tenant_id: str, workflow_id: str) -> tuple[str, str]:
        pair = (tenant_id, workflow_id)
        if pair in self._seen:
            return pair
        if len(self._seen) < self.limit:
            self._seen.add(pair)
            return pair
        return OTHER, OTHER


workflow_labels = WorkflowLabels(100)


def limit_workflow_labels(limit: int) -> None:
    """Set the number of (tenant, workflow) pairs labelled one by one (a setting)."""
    workflow_labels.limit = limit


def event_accepted(accepted: Accepted) -> None:
    _accepted("duplicate" if accepted.duplicate else "new").inc()


def events_accepted(accepted: Sequence[Accepted]) -> None:
    """``event_accepted`` for a batch: one increment per outcome, not per event."""
    duplicates = sum(1 for one in accepted if one.duplicate)
    if duplicates:
        _accepted("duplicate").inc(duplicates)
    if len(accepted) > duplicates:
        _accepted("new").inc(len(accepted) - duplicates)


def event_rejected(reason: str) -> None:
    EVENTS_REJECTED.labels(reason).inc()


def runs_started(runs: Iterable[Run]) -> None:
    for run in runs:
        _started(*workflow_labels(run.tenant_id, run.workflow_id)).inc()


def run_saved(run: Run) -> None:
    """Count the run if the save just made it finished."""
    if run.finished:
        tenant, workflow = workflow_labels(run.tenant_id, run.workflow_id)
        _finished(tenant, workflow, run.status).inc()


def steps_recorded(steps: Iterable[StepRecord]) -> None:
    for step in steps:
        seconds = (step.finished_at - step.started_at).total_seconds()
        _step_seconds(step.action_type, step.status).observe(seconds)
        if step.status == StepStatus.RETRYING:
            STEP_RETRIES.labels(step.action_type).inc()
        if step.action_type == "ai_task":
            _ai_spent(step)


# Each labelled series found once, not through ``labels`` (its checks, a lock: about a
# microsecond) at every event, run or step.


@lru_cache(maxsize=1024)
def _step_seconds(action_type: str, status: str) -> Histogram:
    """The histogram of one action type's attempts ending in one status."""
    return STEP_SECONDS.labels(action_type, status)


@lru_cache(maxsize=4)
def _lateness(kind: str) -> Histogram:
    return LATENESS.labels(kind)


@lru_cache(maxsize=2)
def _accepted(outcome: str) -> Counter:
    return EVENTS_ACCEPTED.labels(outcome)


@lru_cache(maxsize=1024)
def _started(tenant: str, workflow: str) -> Counter:
    return RUNS_STARTED.labels(tenant, workflow)


@lru_cache(maxsize=1024)
def _finished(tenant: str, workflow: str, status: str) -> Counter:
    return RUNS_FINISHED.labels(tenant, workflow, status)


def _ai_spent(step: StepRecord) -> None:
    """An AI step's usage, from its output or, when it failed, its error."""
    found = step.output if isinstance(step.output, dict) else step.error or {}
    usage = found.get("usage")
    if not isinstance(usage, dict) or not usage.get("answers"):
        return
    tenant, workflow = workflow_labels(step.tenant_id, step.workflow_id)
    AI_TOKENS.labels(tenant, workflow, "input").inc(usage.get("input_tokens", 0))
    AI_TOKENS.labels(tenant, workflow, "output").inc(usage.get("output_tokens", 0))
    AI_COST.labels(tenant, workflow).inc(usage.get("cost", 0))


def picked_up(run: Run, now: datetime) -> None:
    """A worker is about to walk ``run``: how late is it against its due time?"""
    if run.due_at is None:
        return
    _lateness(KINDS.get(run.status, "start")).observe(max((now - run.due_at).total_seconds(), 0.0))


def requeued(count: int) -> None:
    RECONCILED.inc(count)


def resume_failed() -> None:
    RESUME_FAILURES.inc()


def notice(kind: str, outcome: str) -> None:
    NOTICES.labels(kind, outcome).inc()


def queue_depth(ready: int, deferred: int) -> None:
    QUEUE_JOBS.labels("ready").set(ready)
    QUEUE_JOBS.labels("deferred").set(deferred)


def live_runs(counts: Mapping[RunStatus, int]) -> None:
    for status in (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING, RunStatus.PAUSED):
        LIVE_RUNS.labels(status.value).set(counts.get(status, 0))
