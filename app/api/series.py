"""``GET /api/stats/series``: the workflow metrics of a period cut into equal buckets, for the
Studio's dashboard charts (runs by status over time, success rate, execution time, events)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app import stats
from app.api.bodies import JsonRoute
from app.api.deps import ClockDep, Reader, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.stats import PeriodQuery, SinceQuery, UntilQuery, period_of
from app.models.patterns import ID_PATTERN

router = APIRouter(
    prefix="/api/stats", tags=["stats"], responses=ERROR_RESPONSES, route_class=JsonRoute
)

MAX_BUCKETS = 200


class Bucket(BaseModel):
    """One slice of the period: runs created in it, by how they stand now, and events."""

    since: datetime
    until: datetime
    total_executions: int
    successful_executions: int
    failed_executions: int
    cancelled_executions: int
    running_executions: int = Field(description="Not finished yet.")
    waiting_executions: int = Field(description="Of the unfinished, waiting.")
    paused_executions: int = Field(description="Of the unfinished, paused.")
    success_rate: float | None = Field(description="Percent of its finished runs that completed.")
    average_execution_time: float | None = Field(description="Mean active seconds, finished runs.")
    total_triggers: int = Field(description="Events received (for one workflow: its runs).")
    ai_cost: float = Field(description="US dollars AI calls spent in the slice.")

    @classmethod
    def of(cls, part: stats.Bucket) -> "Bucket":
        metrics = part.metrics
        return cls(
            since=part.period.since,
            until=part.period.until,
            total_executions=metrics.total_executions,
            successful_executions=metrics.successful_executions,
            failed_executions=metrics.failed_executions,
            cancelled_executions=metrics.cancelled_executions,
            running_executions=metrics.running_executions,
            waiting_executions=metrics.waiting_executions,
            paused_executions=metrics.paused_executions,
            success_rate=metrics.success_rate,
            average_execution_time=metrics.average_execution_time,
            total_triggers=metrics.total_triggers,
            ai_cost=round(metrics.ai_usage.cost, 8),
        )


class Series(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "since": "2026-12-05T00:00:00Z",
                    "until": "2026-12-06T00:00:00Z",
                    "workflow_id": None,
                    "buckets": [
                        {
                            "since": "2026-12-05T00:00:00Z",
                            "until": "2026-12-05T01:00:00Z",
                            "total_executions": 12,
                            "successful_executions": 10,
                            "failed_executions": 1,
                            "cancelled_executions": 0,
                            "running_executions": 1,
                            "waiting_executions": 1,
                            "paused_executions": 0,
                            "success_rate": 90.91,
                            "average_execution_time": 0.412,
                            "total_triggers": 14,
                        }
                    ],
                }
            ]
        }
    )

    since: datetime
    until: datetime
    workflow_id: str | None
    buckets: list[Bucket] = Field(description="Oldest first, each the same length.")


@router.get("/series")
async def get_series(
    caller: Reader,
    store: StoreDep,
    clock: ClockDep,
    period: PeriodQuery = "24h",
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS, description="Equal slices.")] = 24,
    since: SinceQuery = None,
    until: UntilQuery = None,
    workflow_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Series:
    """The figures of `GET /api/stats` for each of `buckets` equal slices of the period, oldest
    first: runs by status over time, success rate, execution time, events received. Runs
    count in the slice they were created in."""
    chosen = period_of(period, since, until, clock.now())
    parts = await stats.series(store, caller.tenant_id, chosen, buckets, workflow_id)
    return Series(
        since=chosen.since,
        until=chosen.until,
        workflow_id=workflow_id,
        buckets=[Bucket.of(part) for part in parts],
    )
