"""What the retention API reads and answers."""

from dataclasses import asdict, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models.retention import Retention

RETENTION_EXAMPLE: dict[str, Any] = {
    "events_days": 30,
    "runs_days": 90,
    "outbox_days": 7,
    "audit_days": None,
}
Days = Field(None, ge=1, le=36500)


class RetentionRead(BaseModel):
    """Days each kind is kept; null: for ever."""

    events_days: int | None = Field(description="Events, by the time received.")
    runs_days: int | None = Field(
        description="Finished runs and their step records, by their last change; `/api/stats` "
        "keeps counting them, by UTC day."
    )
    outbox_days: int | None = Field(description="Dev outbox messages, by the time kept.")
    audit_days: int | None = Field(description="Audit entries, by the time made.")

    @classmethod
    def of(cls, retention: Retention) -> "RetentionRead":
        return cls(**asdict(retention))


class RetentionIn(BaseModel):
    """Days each kind is kept (1 to 36,500, or null: for ever); a field left out takes the
    deployment's default (`AUTOMATOR_EVENT_RETENTION_DAYS`, `AUTOMATOR_RUN_RETENTION_DAYS`,
    `AUTOMATOR_OUTBOX_RETENTION_DAYS`, `AUTOMATOR_AUDIT_RETENTION_DAYS`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RETENTION_EXAMPLE]})

    events_days: int | None = Days
    runs_days: int | None = Days
    outbox_days: int | None = Days
    audit_days: int | None = Days

    def retention(self, defaults: Retention) -> Retention:
        return replace(defaults, **self.model_dump(exclude_unset=True))
