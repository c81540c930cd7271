"""What the stats API answers."""

from datetime import datetime

from pydantic import BaseModel, Field

from app import stats


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
