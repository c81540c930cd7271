"""When a worker takes new runs (start jobs from arq's queue) beside the resumes of runs
already started (``resumes.py``).

Not while due resumes wait for its room: runs already started go first, for as long as
they wait. And not shortly before more resumes fall due than it has room for (1,000 timers
due at one instant): a start job taken then would still be walking when they fall due, and
asyncio cannot preempt it, so the burst would share the worker's loop and store thread with
up to a full room of new runs (issue 16 measured the timers' p99 at 671 ms under a backlog
of new runs, 187 ms without one). The worker stops taking new runs a look ahead before
such a burst, so those in flight end first, and starts again once the burst's walks are
done. That hold is bounded, so a steady stream of resumes cannot hold new runs off for
good: it lasts at most twice the look ahead, and the next may start only after new runs
were taken for at least as long as it lasted.
"""

import math
import time
from collections.abc import Callable


class Intake:
    """Whether a worker takes new runs now, from what its claims of resumes saw."""

    def __init__(self, look_ahead: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.look_ahead = look_ahead  # seconds; 0: no hold before a burst
        self._clock = clock  # real seconds: the hold is on work, not on a test's time
        self._waiting = False  # due resumes wait for room
        self._held_since: float | None = None  # the hold before a burst, if on
        self._next_hold = -math.inf  # no hold before a burst starts before this

    def note(self, waiting: bool, ahead: int, room: int, walking: int) -> None:
        """What a claim of resumes saw: whether due ones were left waiting for room, how many
        fall due within the look ahead, the room left for walks of resumes and the walks of
        resumes going on."""
        self._waiting = waiting
        now = self._clock()
        if self._held_since is None:
            if self.look_ahead > 0 and ahead > room and now >= self._next_hold:
                self._held_since = now
        elif ahead <= room and walking == 0:
            self._release(now)

    @property
    def waiting(self) -> bool:
        """Due resumes wait for room (the last claim took all it had room for)."""
        return self._waiting

    @property
    def open(self) -> bool:
        """New runs may be taken now."""
        if self._waiting:
            return False
        if self._held_since is None:
            return True
        now = self._clock()
        if now - self._held_since < 2 * self.look_ahead:
            return False
        self._release(now)
        return True

    def _release(self, now: float) -> None:
        assert self._held_since is not None
        self._next_hold = now + (now - self._held_since)
        self._held_since = None
