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
    """Runs of one workflow in one status, and their active execution seconds summed."""

    workflow_id: str
    status: RunStatus
    count: int
    active_seconds: float


@dataclass(frozen=True)
class VariantTally:
    """Runs a split sent down one variant (or the holdout), and how many converted."""

    split_id: str
    variant: str
    runs: int
    conversions: int
