"""What the quota API reads and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from app.models.patterns import ID_PATTERN
from app.triggers.ai_budget import BudgetCheck
from app.triggers.estimate import Check

ESTIMATE_EXAMPLE: dict[str, Any] = {"workflow_id": "weekly_digest", "runs": 12000, "margin": 0.2}


class LimitRead(BaseModel):
    limit: str = Field(examples=["tenant quota"])
    allowed: int = Field(description="Runs allowed per period.")
    period_seconds: float
    used: int = Field(description="Runs counted in the current period.")
    remaining: int
    resets_at: datetime | None = Field(description="When the quota's window ends.")

    @classmethod
    def of(cls, check: Check) -> "LimitRead":
        return cls(
            limit=check.limit,
            allowed=check.allowed,
            period_seconds=check.period_seconds,
            used=check.used,
            remaining=check.remaining,
            resets_at=check.resets_at,
        )


class AiBudgetRead(BaseModel):
    """The tenant's AI budget against the planned runs' expected AI cost."""

    allowed: float = Field(description="US dollars per period.")
    period_seconds: float
    spent: float = Field(description="US dollars AI calls spent so far in this period.")
    remaining: float
    needed: float = Field(description="The runs' expected AI cost, plus the margin.")
    resets_at: datetime

    @classmethod
    def of(cls, check: BudgetCheck) -> "AiBudgetRead":
        return cls(
            allowed=check.allowed,
            period_seconds=check.period_seconds,
            spent=round(check.spent, 8),
            remaining=round(check.remaining, 8),
            needed=round(check.needed, 8),
            resets_at=check.resets_at,
        )


class QuotaRead(BaseModel):
    quota: LimitRead | None = Field(description="Null when the tenant has no quota.")


class EstimateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ESTIMATE_EXAMPLE]})

    runs: int = Field(
        ge=1, le=10**9, description="Runs the send would start: the audience size or events."
    )
    workflow_id: str | None = Field(
        None, pattern=ID_PATTERN, description="Also check this workflow's own limits."
    )
    margin: StrictFloat = Field(
        0, ge=0, le=10, description="Headroom to require: 0.2 asks room for 20 % more runs."
    )


class EstimateRead(BaseModel):
    fits: bool = Field(description="Whether every limit has room for `needed` runs now.")
    runs: int
    needed: int = Field(description="`runs` plus the margin, rounded up.")
    limits: list[LimitRead] = Field(
        description="The tenant's quota and unkeyed rate limits (per-key limits are not "
        "counted: an audience is many keys)."
    )
    start_seconds: float = Field(
        description="How long the unkeyed throttles take to start every run."
    )
    ai_cost: float = Field(
        description="The workflow's expected AI cost for every run, in US dollars (0 without "
        "`workflow_id`)."
    )
    ai_budget: AiBudgetRead | None = Field(description="Null when the tenant has no AI budget.")
