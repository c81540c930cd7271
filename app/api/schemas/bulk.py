"""What bulk run control reads and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.models.bulk import MAX_LISTED_REFUSALS, BulkAction, BulkJob, BulkState
from app.models.instant import Instant
from app.models.run import RunFilter, RunStatus

BULK_EXAMPLE: dict[str, Any] = {
    "action": "retry",
    "filter": {"workflow_id": "abandoned_cart_recovery", "status": "failed"},
    "dry_run": True,
}


class RunQuery(BaseModel):
    """The filters of `GET /api/runs`; every one left out matches every run."""

    model_config = ConfigDict(extra="forbid")

    workflow_id: str | None = None
    status: RunStatus | None = None
    user_id: str | None = None
    since: Instant | None = Field(None, description="Runs created at or after this time.")
    until: Instant | None = Field(None, description="Runs created before this time.")

    def run_filter(self) -> RunFilter:
        return RunFilter(self.workflow_id, self.status, self.user_id, self.since, self.until)

    @classmethod
    def of(cls, where: RunFilter) -> "RunQuery":
        return cls(
            workflow_id=where.workflow_id,
            status=where.status,
            user_id=where.user_id,
            since=where.since,
            until=where.until,
        )


class BulkIn(BaseModel):
    """One command over every run the filter matches."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BULK_EXAMPLE]})

    action: BulkAction
    filter: RunQuery
    dry_run: StrictBool = Field(
        False, description="Only count the runs it would touch (`matched`); nothing changes."
    )


class BulkAccepted(BaseModel):
    dry_run: bool
    matched: int = Field(description="Runs the filter matches now.")
    job_id: str | None = Field(
        description="The job working through them (`GET /api/runs/bulk/{job_id}`); null for a "
        "dry run."
    )


class RefusalRead(BaseModel):
    run_id: str
    reason: str


class BulkJobRead(BaseModel):
    """A bulk command's progress."""

    job_id: str
    action: BulkAction
    filter: RunQuery
    status: BulkState = Field(description="`running` until every batch is done: `completed`.")
    matched: int = Field(description="Runs the filter matched when the job was requested.")
    done: int = Field(description="Runs handled so far (changed or refused).")
    changed: int = Field(description="Runs the command was applied to.")
    refused: list[RefusalRead] = Field(
        description=f"Runs it could not be applied to, and why (the first {MAX_LISTED_REFUSALS})."
    )
    refused_count: int
    batches: int = Field(description="Batches done.")
    requested_by: str = Field(description="The API key id that asked (`cli` for the CLI).")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: BulkJob) -> "BulkJobRead":
        return cls(
            job_id=job.job_id,
            action=job.action,
            filter=RunQuery.of(job.filter),
            status=job.status,
            matched=job.matched,
            done=job.done,
            changed=job.changed,
            refused=[RefusalRead(**one) for one in job.refused],
            refused_count=job.refused_count,
            batches=job.batches,
            requested_by=job.actor,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
        )
