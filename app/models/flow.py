"""Flow control and send windows as users write them, in a workflow's ``settings`` and in a
tenant's limits (``PUT /api/tenant/limits``).

Each limiter may have a ``key``: a template rendered over the event (``{{ user.id }}``), so
the limit holds per user, per site, per order... Without one, it holds for the whole
workflow (or tenant). How each one is enforced is in app/engine/flow/limiters.py.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.patterns import CLOCK_PATTERN, ISO_DURATION_PATTERN

# Messaging actions: what send windows and frequency caps apply to unless told otherwise.
CHANNEL_ACTIONS = ("send_email", "send_sms", "send_push", "send_whatsapp")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 86400
MAX_PERIOD_SECONDS = 366 * DAY_SECONDS
# A user's message log is kept this long, so no frequency cap may look further back.
MAX_CAP_PERIOD_SECONDS = 31 * DAY_SECONDS
MAX_LIMIT = 1_000_000
_DURATION = TypeAdapter(timedelta)


class Setting(BaseModel):
    """Settings refuse unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


def duration_seconds(value: int | float | str, kind: str, example: str) -> float:
    """Seconds of a ``kind`` (a delay, a period) given as a number or an ISO 8601 duration;
    a string that is neither is an error of code ``kind`` that shows both forms in
    ``example`` ("300 or PT5M"): someone who typed "5 minutes" sees what to type instead."""
    if isinstance(value, str):
        try:
            if re.fullmatch(ISO_DURATION_PATTERN, value):
                return _DURATION.validate_python(value).total_seconds()
        except ValidationError:
            pass  # past what a timedelta holds (P999999999Y): refused as any bad text
        raise PydanticCustomError(
            kind, f"a {kind} is seconds or an ISO 8601 duration, e.g. {example}"
        )
    return float(value)


def duration_schema(low: int, high: int) -> WithJsonSchema:
    """The JSON schema of a duration of ``low`` to ``high`` seconds: a number within them
    (stated), or ISO 8601 text (its bounds are checked, but no pattern can say them)."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": low, "maximum": high},
                {"type": "string", "pattern": ISO_DURATION_PATTERN},
            ]
        }
    )


def period_seconds(value: int | float | str) -> float:
    """Seconds of a period given as a number or an ISO 8601 duration (``PT1H``, ``P1D``)."""
    return duration_seconds(value, "period", "3600 or PT1H")


def _bounded_period(value: int | float | str, limit: int) -> int | float | str:
    seconds = period_seconds(value)
    if not 1 <= seconds <= limit:
        raise PydanticCustomError(
            "period",
            "a period is between 1 and {limit} seconds",
            {"limit": limit},
        )
    return value


def _period(value: int | float | str) -> int | float | str:
    return _bounded_period(value, MAX_PERIOD_SECONDS)


def _cap_period(value: int | float | str) -> int | float | str:
    return _bounded_period(value, MAX_CAP_PERIOD_SECONDS)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory
        raise PydanticCustomError(
            "timezone",
            "unknown time zone '{tz}' (use an IANA name such as Europe/Berlin)",
            {"tz": value},
        ) from None
    return value


Period = Annotated[
    StrictInt | StrictFloat | StrictStr,
    AfterValidator(_period),
    duration_schema(1, MAX_PERIOD_SECONDS),
]
CapPeriod = Annotated[
    StrictInt | StrictFloat | StrictStr,
    AfterValidator(_cap_period),
    duration_schema(1, MAX_CAP_PERIOD_SECONDS),
]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
Clock = Annotated[str, Field(pattern=CLOCK_PATTERN, examples=["21:00"])]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
KeyTemplate = Annotated[
    str,
    Field(
        min_length=1,
        max_length=512,
        examples=["{{ user.id }}"],
        description="A template over the event; the limit holds per rendered value.",
    ),
]
ActionTypes = Annotated[list[str], Field(min_length=1, max_length=64)]


def clock_seconds(value: str) -> int:
    """Seconds after midnight of ``HH:MM`` or ``HH:MM:SS``."""
    parts = [int(part) for part in value.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) == 3 else 0)


class Concurrency(Setting):
    """At most ``limit`` live runs per key; more wait, in order, until one ends."""

    limit: Limit
    key: KeyTemplate | None = None


class Throttle(Setting):
    """At most ``limit`` run starts per ``period`` per key; more are delayed, not dropped."""

    limit: Limit
    period: Period = Field(description="Seconds, or an ISO 8601 duration.")
    key: KeyTemplate | None = None


class RateLimit(Setting):
    """At most ``limit`` runs per ``period`` per key; more are dropped, with the reason."""

    limit: Limit
    period: Period = Field(description="Seconds, or an ISO 8601 duration.")
    key: KeyTemplate | None = None


class Debounce(Setting):
    """A burst of events per key starts one run, with the last event, once no event came
    for ``period``, and never later than ``max_delay`` after the burst's first event."""

    period: Period = Field(description="Quiet time that ends a burst: seconds or ISO 8601.")
    max_delay: Period | None = Field(None, description="Longest wait after a burst's first event.")
    key: KeyTemplate | None = None

    @model_validator(mode="after")
    def _max_after_period(self) -> "Debounce":
        if self.max_delay is not None and period_seconds(self.max_delay) < period_seconds(
            self.period
        ):
            raise PydanticCustomError("debounce", "max_delay must be at least period")
        return self


class FrequencyCap(Setting):
    """At most ``limit`` messages per ``period`` per user, counted across every workflow
    of the tenant; a step over the cap is skipped, with the reason."""

    limit: Annotated[int, Field(ge=1, le=10_000)]
    period: CapPeriod = Field(description="Seconds or ISO 8601, at most 31 days.")
    key: KeyTemplate | None = Field(None, description="Who is capped; default `{{ user.id }}`.")
    actions: ActionTypes = Field(
        default_factory=lambda: list(CHANNEL_ACTIONS), description="The action types counted."
    )


class Quota(Setting):
    """At most ``runs`` runs per ``period`` for the tenant, in windows aligned to the Unix
    epoch (a one-day period resets at 00:00 UTC)."""

    runs: Limit
    period: Period = Field(description="Seconds, or an ISO 8601 duration.")


class AiBudget(Setting):
    """At most ``usd`` US dollars of AI calls per ``period`` for the tenant (windows
    aligned to the Unix epoch, as the quota's). A run is started only if what the period
    spent so far plus ``1 + margin`` times the run's estimated AI cost fits: seed 003's
    rule, 1.2 times the estimate, is the default ``margin`` of 0.2."""

    usd: float = Field(gt=0, le=10**9, description="US dollars per period.")
    period: Period = Field(description="Seconds, or an ISO 8601 duration.")
    margin: StrictFloat = Field(0.2, ge=0, le=10, description="Headroom over the estimate.")


@dataclass(frozen=True)
class Window:
    """When sending is allowed: from ``opens`` to ``closes`` (seconds after local midnight;
    ``closes`` at or before ``opens`` means the next day), on windows opening on ``days``
    (0 is Monday)."""

    opens: int
    closes: int
    days: frozenset[int]

    def allows(self, day: int, second: int) -> bool:
        """Whether local ``day`` (0 is Monday) at ``second`` after midnight is inside."""
        if self.closes > self.opens:
            return day in self.days and self.opens <= second < self.closes
        yesterday = (day - 1) % 7
        return (day in self.days and second >= self.opens) or (
            yesterday in self.days and second < self.closes
        )


class QuietHours(Setting):
    """No message from ``start`` to ``end`` local time (``end`` before ``start`` spans
    midnight); a step due then waits until ``end``."""

    start: Clock
    end: Clock
    timezone: TimeZoneName | None = Field(
        None, description="Used when the user has no `timezone`; default UTC."
    )
    actions: ActionTypes = Field(
        default_factory=lambda: list(CHANNEL_ACTIONS), description="The action types held."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> "QuietHours":
        if clock_seconds(self.start) == clock_seconds(self.end):
            raise PydanticCustomError("quiet_hours", "start and end must differ")
        return self

    def window(self) -> Window:
        return Window(clock_seconds(self.end), clock_seconds(self.start), frozenset(range(7)))


class SendWindow(Setting):
    """Messages only from ``not_before`` to ``not_after`` local time, on ``days``; a step
    due outside waits for the next opening."""

    not_before: Clock | None = None
    not_after: Clock | None = None
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = Field(
        None, min_length=1, max_length=7, description="Days the window opens; default every day."
    )
    timezone: TimeZoneName | None = Field(
        None, description="Used when the user has no `timezone`; default UTC."
    )
    actions: ActionTypes = Field(
        default_factory=lambda: list(CHANNEL_ACTIONS), description="The action types held."
    )

    @model_validator(mode="after")
    def _bounds(self) -> "SendWindow":
        if self.not_before is None and self.not_after is None and self.days is None:
            raise PydanticCustomError(
                "send_window", "a send window needs not_before, not_after or days"
            )
        if self.not_before is not None and self.not_before == self.not_after:
            raise PydanticCustomError("send_window", "not_before and not_after must differ")
        return self

    def window(self) -> Window:
        opens = 0 if self.not_before is None else clock_seconds(self.not_before)
        closes = DAY_SECONDS if self.not_after is None else clock_seconds(self.not_after)
        days = range(7) if self.days is None else (DAYS.index(day) for day in self.days)
        return Window(opens, closes, frozenset(days))


def windows_meet(*windows: Window) -> bool:
    """Whether some minute of the week is inside every window (else nothing is ever sent)."""
    return any(
        all(w.allows(day, minute * 60) for w in windows)
        for day in range(7)
        for minute in range(DAY_SECONDS // 60)
    )


class TenantLimits(Setting):
    """Limits over every workflow of a tenant."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "concurrency": {"limit": 1, "key": "{{ site }}"},
                    "throttle": {"limit": 600, "period": 60},
                    "frequency_cap": {"limit": 3, "period": "P1D"},
                    "quota": {"runs": 100000, "period": "P1D"},
                    "ai_budget": {"usd": 50, "period": "P30D", "margin": 0.2},
                }
            ]
        },
    )

    concurrency: Concurrency | None = None
    throttle: Throttle | None = None
    rate_limit: RateLimit | None = None
    frequency_cap: FrequencyCap | None = None
    quota: Quota | None = None
    ai_budget: AiBudget | None = None

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
