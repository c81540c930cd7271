"""How often a worker polls Redis: at its poll delay while it has work, less and less often
while it has none, and at its poll delay again the moment it finds some.

Each poll of an idle worker is two script calls (the take of arq's jobs, the claim of
resumes) and the loop around them: 17-19 ms of the worker's CPU a second and 4-5 of Redis's
at a poll every 50 ms, paid by every worker whether or not anything happens
(bench/README.md, "An idle worker's polls"). An idle worker's polls double their delay up to its idle delay;
what it then finds late is what other processes queued meanwhile (an event's run, an
answer's wake), up to an idle delay late. A resume due at a known time is taken when due
either way: the claim's wait ends then (``app/worker.py``).
"""

import asyncio
import contextlib


class Pace:
    """A worker's delay between polls: ``busy`` (its poll delay) while it has work, doubling
    with each poll that finds it without any, up to ``idle``."""

    def __init__(self, busy: float, idle: float) -> None:
        self.busy = busy
        self.idle = max(idle, busy)
        self.delay = busy
        self._work = asyncio.Event()  # set when work comes back: a long wait ends
        self._found = False  # work found since the last poll ended

    @property
    def quiet(self) -> bool:
        """Whether the worker polls less often than its poll delay now."""
        return self.delay > self.busy

    def working(self) -> None:
        """Work was found: back to the poll delay, and a rest ends now."""
        self._found = True
        if self.quiet:
            self.delay = self.busy
            self._work.set()

    def polled(self, busy: bool) -> None:
        """A poll ended, with work in flight (``busy``) or not: the next comes a poll delay
        later while there is work, found meanwhile or in flight; twice as late as the last
        (up to the idle delay) when there is none."""
        if busy:
            self.working()
        elif not self._found:
            self.delay = min(self.delay * 2, self.idle)
        self._found = False

    async def rest(self) -> None:
        """Wait out a quiet poll's delay, or until work is found meanwhile (``working``)."""
        self._work.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.delay):
                await self._work.wait()
