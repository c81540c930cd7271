"""What starts a workflow: an event type with conditions, or a schedule."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from pydantic import (
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.condition import Condition
from app.models.patterns import EVENT_TYPE_PATTERN, ID_PATTERN
from app.models.validation import Delay, Strict, delay_seconds

SCHEDULE = "schedule"
WAIT = "wait_for_event"
MAX_TRIGGERS = 10


class SegmentTarget(Strict):
    """A segment written in place: conditions over profile fields, as a saved segment's."""

    conditions: list[Condition] = Field(
        min_length=1,
        examples=[[{"field": "last_seen", "operator": "before", "value": "now-P7D"}]],
    )


class Trigger(Strict):
    """The event type that starts the workflow and the conditions it must meet; or, with
    ``type: "schedule"``, a ``cron`` expression or an ``interval``, in a ``timezone``, and
    optionally a ``segment`` whose every member gets a run at each firing."""

    id: str | None = Field(
        None, pattern=ID_PATTERN, description="Names the trigger in the runs it starts."
    )
    type: str = Field(pattern=EVENT_TYPE_PATTERN, examples=["user_signup"])
    conditions: list[Condition] = Field(default_factory=list)
    cron: str | None = Field(None, max_length=128, examples=["0 9 * * 1-5"])
    interval: Delay | None = Field(None, description="Seconds, or an ISO 8601 duration.")
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Berlin"])
    segment: Annotated[str, Field(pattern=ID_PATTERN)] | SegmentTarget | None = Field(
        None,
        description="Start one run per member at each firing: a saved segment's id, or "
        '`{"conditions": [...]}` over profile fields.',
        examples=["inactive_7d"],
    )

    @model_validator(mode="after")
    def _schedule_fields(self) -> "Trigger":
        timing = [
            name for name in ("cron", "interval", "timezone", "segment") if getattr(self, name)
        ]
        if self.type != SCHEDULE:
            if timing:
                raise PydanticCustomError(
                    "schedule",
                    "cron, interval, timezone and segment belong to a schedule trigger",
                )
            return self
        if (self.cron is None) == (self.interval is None):
            raise PydanticCustomError("schedule", "a schedule needs either cron or interval")
        _check_schedule(self)
        return self


def _cron_fires(expression: str) -> bool:
    """Valid and able to fire (``0 0 30 2 *``, February 30th, is valid but never fires)."""
    if not croniter.is_valid(expression):
        return False
    try:
        croniter(expression).get_next()
    except (CroniterBadDateError, ValueError):
        return False
    return True


def _check_schedule(trigger: Trigger) -> None:
    if trigger.cron is not None and not _cron_fires(trigger.cron):
        raise PydanticCustomError(
            "schedule", "invalid cron expression '{cron}'", {"cron": trigger.cron}
        )
    if trigger.interval is not None and delay_seconds(trigger.interval) < 1:
        raise PydanticCustomError("schedule", "an interval is at least 1 second")
    if trigger.timezone is not None:
        try:
            ZoneInfo(trigger.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Etc" is a directory
            raise PydanticCustomError(
                "schedule",
                "unknown time zone '{tz}' (use an IANA name such as Europe/Berlin)",
                {"tz": trigger.timezone},
            ) from None
