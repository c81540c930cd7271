"""A clock tests move forward instead of sleeping (named so: not the process's clock)."""

from datetime import datetime, timedelta

from app.clock import SystemClock


class ShiftedClock(SystemClock):
    """The machine's time plus an offset that ``advance`` grows. Time keeps flowing (Redis
    expiries, arq's deferred jobs and leases still see the real clock); the test skips ahead
    where the code under test reads this clock."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return super().monotonic() + self.offset


class FrozenClock:
    """A clock that stands still until ``advance`` moves it, for a part a test runs alone
    (a scheduler's ticks): nothing happens between two moves of the test's own."""

    def __init__(self, start: datetime) -> None:
        self.instant = start
        self.seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.instant += timedelta(seconds=seconds)
        self.seconds += seconds

    def now(self) -> datetime:
        return self.instant

    def monotonic(self) -> float:
        return self.seconds


def now() -> datetime:
    """The machine's time, for records a test builds."""
    return SystemClock().now()


DAY = 86_400  # seconds


def mid_window(clock: ShiftedClock, seconds: float) -> None:
    """Move ``clock`` on to the middle of a window of ``seconds`` aligned to the epoch, as
    quotas and AI budgets count them (a day's from midnight UTC): a test counting in one
    window stays in it, whenever it runs and however long it takes."""
    into = clock.now().timestamp() % seconds
    clock.advance((seconds / 2 - into) % seconds)
