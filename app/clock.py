"""The one clock a process reads the time from: built once at start-up (``SystemClock``) and
passed to everything that stamps, schedules or expires, so tests can move time instead of
sleeping (``tests/clock.py``).

Two readings, for two jobs:
- ``now()``, an aware UTC instant: what is stored, compared with stored instants, or shown;
- ``monotonic()``, seconds that never go back: the age of a cache entry or a health state.

Bounds on real work (a template's render time, Redis's start-up, a segment scan's budget,
how long a walk has been going before it hands over) read ``time.monotonic()`` directly:
they limit the CPU and I/O a process spends, which a test clock does not make faster.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol


class Clock(Protocol):
    """Where a process reads the time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back; for ages and lifetimes."""
        ...


class SystemClock:
    """The machine's clock."""

    # The functions themselves, with no frame of ours around them: a worker reads the time
    # twenty-odd times a run (bench/README.md). Neither a partial nor a built-in binds to
    # the instance: ``clock.now()`` calls it as it is.
    now: Callable[[], datetime] = partial(datetime.now, UTC)  # noqa: TID251
    monotonic: Callable[[], float] = time.monotonic
