"""Bulk run control: one command over every run a filter matches, worked in batches."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from app.models.run import RunFilter

# A job lists this many refusals; past it, it only counts them.
MAX_LISTED_REFUSALS = 1000


class BulkAction(StrEnum):
    RETRY = "retry"
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"


class BulkState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class Refusal(TypedDict):
    """A run the command could not be applied to, and why."""

    run_id: str
    reason: str


@dataclass
class BulkJob:
    """A bulk command in progress. ``cursor`` is where the next batch starts: runs are taken
    newest first, each batch after the last run id of the one before, starting below the
    ids of runs created after the job (``app.models.ids.ids_before``)."""

    tenant_id: str
    job_id: str
    action: BulkAction
    filter: RunFilter
    actor: str
    matched: int
    cursor: str
    created_at: datetime
    updated_at: datetime
    status: BulkState = BulkState.RUNNING
    done: int = 0
    changed: int = 0
    refused: list[Refusal] = field(default_factory=list)
    refused_count: int = 0
    batches: int = 0
    finished_at: datetime | None = None

    def refuse(self, run_id: str, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused) < MAX_LISTED_REFUSALS:
            self.refused.append({"run_id": run_id, "reason": reason})
