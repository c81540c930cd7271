"""How long a tenant's records are kept, by kind; the retention job purges the rest."""

from dataclasses import dataclass
from enum import StrEnum


class Kept(StrEnum):
    """The kinds of records the retention job purges, each by its own time."""

    EVENTS = "events"  # by the time received; their correlation keys go with them
    RUNS = "runs"  # finished runs by their last change, with their step records
    OUTBOX = "outbox"  # dev outbox messages by the time kept
    AUDIT = "audit"  # audit entries by the time made


@dataclass(frozen=True)
class Retention:
    """Days each kind is kept; None keeps it for ever."""

    events_days: int | None
    runs_days: int | None
    outbox_days: int | None
    audit_days: int | None

    def days(self, kind: Kept) -> int | None:
        days: int | None = getattr(self, f"{kind.value}_days")
        return days
