"""``GET /api/stats``: the seed's workflow metrics per tenant or per workflow, over a period."""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app import stats
from app.api.deps import Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.instants import before, utc
from app.errors import ErrorDetail, InvalidInput
from app.models.document import ID_PATTERN
from app.models.stats import Period

router = APIRouter(prefix="/api/stats", tags=["stats"], responses=ERROR_RESPONSES)

PERIOD = re.compile(r"^(\d{1,6})([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
LONGEST = timedelta(days=3660)


class WorkflowMetrics(BaseModel):
    """The seed's `workflow_metrics`, plus cancelled and unfinished runs."""

    total_executions: int = Field(description="Runs created in the period.")
    successful_executions: int = Field(description="Of those, completed.")
    failed_executions: int = Field(description="Of those, failed.")
    cancelled_executions: int = Field(description="Of those, cancelled.")
    running_executions: int = Field(description="Of those, not finished yet.")
    success_rate: float | None = Field(
        description="Percent of the completed and failed runs that completed; null if none."
    )
    average_execution_time: float | None = Field(
        description="Mean active seconds (delays and waits excluded) of the completed and "
        "failed runs; null if none."
    )
    active_workflows: int = Field(description="Workflows enabled and published now.")
    total_triggers: int = Field(
        description="Events received in the period (for one workflow: the events that "
        "started it). Events are kept for AUTOMATOR_EVENT_RETENTION_DAYS."
    )

    @classmethod
    def of(cls, metrics: stats.Metrics) -> "WorkflowMetrics":
        return cls(
            total_executions=metrics.total_executions,
            successful_executions=metrics.successful_executions,
            failed_executions=metrics.failed_executions,
            cancelled_executions=metrics.cancelled_executions,
            running_executions=metrics.running_executions,
            success_rate=metrics.success_rate,
            average_execution_time=metrics.average_execution_time,
            active_workflows=metrics.active_workflows,
            total_triggers=metrics.total_triggers,
        )


class StatsReport(WorkflowMetrics):
    since: datetime
    until: datetime
    workflow_id: str | None = Field(description="The workflow asked for; null for the tenant.")
    workflows: dict[str, WorkflowMetrics] = Field(
        description="Each workflow that had runs in the period, by id."
    )


def _duration(period: str) -> timedelta:
    found = PERIOD.match(period)
    seconds = int(found[1]) * UNITS[found[2]] if found else None
    if seconds is None or seconds == 0 or seconds > LONGEST.total_seconds():
        raise InvalidInput(
            f"period {period!r} is not a duration such as 15m, 24h, 7d or 4w (at most 3660d).",
            [ErrorDetail(("query", "period"), "a number and a unit (s, m, h, d, w), 1s to 3660d")],
        )
    return timedelta(seconds=seconds)


def period_of(period: str, since: datetime | None, until: datetime | None) -> Period:
    end = utc(until, "until") or datetime.now(UTC)
    start = utc(since, "since") or before(end, _duration(period), "period")
    if start >= end:
        raise InvalidInput(
            "since must be before until.", [ErrorDetail(("query", "since"), "must be before until")]
        )
    return Period(start, end)


@router.get("")
async def get_stats(
    caller: Reader,
    store: StoreDep,
    period: Annotated[
        str, Query(description="How far back from `until`: 15m, 24h, 7d, 4w ...", max_length=16)
    ] = "24h",
    since: Annotated[datetime | None, Query(description="Start (overrides `period`).")] = None,
    until: Annotated[datetime | None, Query(description="End; default: now.")] = None,
    workflow_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> StatsReport:
    """Executions, success rate, average execution time, active workflows and triggers of the
    tenant (with each workflow that ran) or of one workflow, over a period. Times without a
    zone are UTC."""
    chosen = period_of(period, since, until)
    if workflow_id is None:
        report = await stats.tenant_report(store, caller.tenant_id, chosen)
    else:
        report = await stats.workflow_report(store, caller.tenant_id, workflow_id, chosen)
    return StatsReport(
        **WorkflowMetrics.of(report.totals).model_dump(),
        since=chosen.since,
        until=chosen.until,
        workflow_id=workflow_id,
        workflows={key: WorkflowMetrics.of(value) for key, value in report.workflows.items()},
    )
