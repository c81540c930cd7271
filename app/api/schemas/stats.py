"""What the stats API answers."""

from datetime import datetime

from pydantic import BaseModel, Field

from app import stats
from app.models.usage import UsageTally


class AiUsageRead(BaseModel):
    """What AI calls spent: tokens in and out, and their cost in US dollars."""

    calls: int = Field(description="AI steps (and copilot drafts) that asked a model.")
    input_tokens: int
    output_tokens: int
    cost: float = Field(description="US dollars, by the deployment's price table.")

    @classmethod
    def of(cls, tally: UsageTally) -> "AiUsageRead":
        return cls(
            calls=tally.calls,
            input_tokens=tally.input_tokens,
            output_tokens=tally.output_tokens,
            cost=round(tally.cost, 8),
        )


class WorkflowMetrics(BaseModel):
    """The seed's `workflow_metrics`, plus cancelled and unfinished runs."""

    total_executions: int = Field(description="Runs created in the period.")
    successful_executions: int = Field(description="Of those, completed.")
    failed_executions: int = Field(description="Of those, failed.")
    ever_failed_executions: int = Field(
        description="Of those, the runs that failed at some point, failed now or retried "
        "since (once each however often they failed; runs past their retention count as "
        "failed only if they ended failed)."
    )
    cancelled_executions: int = Field(description="Of those, cancelled.")
    running_executions: int = Field(description="Of those, not finished yet.")
    waiting_executions: int = Field(
        description="Of the unfinished, waiting (a delay, an event, an approval, a retry)."
    )
    paused_executions: int = Field(description="Of the unfinished, paused.")
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
    ai_usage: AiUsageRead = Field(
        description="What AI calls made in the period spent (for the tenant: copilot "
        "drafts included)."
    )

    @classmethod
    def of(cls, metrics: stats.Metrics) -> "WorkflowMetrics":
        return cls(
            total_executions=metrics.total_executions,
            successful_executions=metrics.successful_executions,
            failed_executions=metrics.failed_executions,
            ever_failed_executions=metrics.ever_failed_executions,
            cancelled_executions=metrics.cancelled_executions,
            running_executions=metrics.running_executions,
            waiting_executions=metrics.waiting_executions,
            paused_executions=metrics.paused_executions,
            success_rate=metrics.success_rate,
            average_execution_time=metrics.average_execution_time,
            active_workflows=metrics.active_workflows,
            total_triggers=metrics.total_triggers,
            ai_usage=AiUsageRead.of(metrics.ai_usage),
        )


class StatsReport(WorkflowMetrics):
    since: datetime
    until: datetime
    workflow_id: str | None = Field(description="The workflow asked for; null for the tenant.")
    workflows: dict[str, WorkflowMetrics] = Field(
        description="Each workflow that had runs or AI calls in the period, by id."
    )
