"""``GET /api/stats``: the seed's workflow metrics per tenant or per workflow, over a period."""

import re
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from app import stats
from app.api.bodies import JsonRoute
from app.api.deps import ClockDep, Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.instants import before, utc
from app.api.schemas.stats import StatsReport, WorkflowMetrics
from app.errors import ErrorDetail, InvalidInput
from app.models.instant import Instant
from app.models.patterns import ID_PATTERN
from app.models.stats import Period

router = APIRouter(
    prefix="/api/stats", tags=["stats"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

PERIOD = re.compile(r"^(\d{1,6})([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
LONGEST = timedelta(days=3660)
# The period a report covers, as every stats route takes it (see period_of).
PeriodQuery = Annotated[
    str, Query(description="How far back from `until`: 15m, 24h, 7d, 4w ...", max_length=16)
]
SinceQuery = Annotated[
    Instant | None, Query(description="Start (overrides `period`); before `until`, else a 422.")
]
UntilQuery = Annotated[Instant | None, Query(description="End; default: now.")]


def _duration(period: str) -> timedelta:
    found = PERIOD.match(period)
    seconds = int(found[1]) * UNITS[found[2]] if found else None
    if seconds is None or seconds == 0 or seconds > LONGEST.total_seconds():
        raise InvalidInput(
            f"period {period!r} is not a duration such as 15m, 24h, 7d or 4w (at most 3660d).",
            [ErrorDetail(("query", "period"), "a number and a unit (s, m, h, d, w), 1s to 3660d")],
        )
    return timedelta(seconds=seconds)


def period_of(period: str, since: datetime | None, until: datetime | None, now: datetime) -> Period:
    end = utc(until, "until") or now
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
    clock: ClockDep,
    period: PeriodQuery = "24h",
    since: SinceQuery = None,
    until: UntilQuery = None,
    workflow_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> StatsReport:
    """Executions, success rate, average execution time, active workflows and triggers of the
    tenant (with each workflow that ran) or of one workflow, over a period. Times without a
    zone are UTC."""
    chosen = period_of(period, since, until, clock.now())
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
