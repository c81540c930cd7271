"""Figures the store counts for ``GET /api/stats``."""

from dataclasses import dataclass
from datetime import datetime

from app.models.run import RunStatus


@dataclass(frozen=True)
class Period:
    """Runs created, and events received, from ``since`` (included) to ``until`` (not)."""

    since: datetime
    until: datetime


@dataclass(frozen=True)
class RunTally:
    """Runs of one workflow in one status, their active execution seconds summed, and how
    many of them failed at some point: a failed run retried since failed once all the same
    (the runs counted as they were purged: the failed ones)."""

    workflow_id: str
    status: RunStatus
    count: int
    active_seconds: float
    failed_once: int = 0


@dataclass(frozen=True)
class VariantTally:
    """Runs a split sent down one variant (or the holdout), and how many converted."""

    split_id: str
    variant: str
    runs: int
    conversions: int
