"""Long-lived tasks that heal themselves.

Every task a process keeps running (the arq worker loop and its reconciler, the scheduler, a
Redis server the process owns) runs under one ``Supervisor``: a crash is logged with its
cause and the task starts again after a backoff, until the process stops. Each task reports
whether it is doing its job, which ``/ready`` shows.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
FIRST_DELAY = 0.5
# Work resumes at most this long after its cause of failure (Redis gone) is over.
MAX_DELAY = 5.0
# A task that ran this long before it crashed starts again after the first delay.
HEALTHY_AFTER = 30.0


@dataclass
class Part:
    """One supervised task: what it is told (``stop``) and what it tells (ready or why not)."""

    name: str
    stop: asyncio.Event
    # A task that says ``ready`` at each round of its loop is down once it has not for this
    # long: it hangs (on a Redis that accepts connections and never answers, say).
    heartbeat: float | None = None
    problem: str | None = "starting"
    last_ready: float = 0.0

    def ready(self) -> None:
        """The task does its job now; the first time after a start or a problem, it is
        logged (``worker is ready``), so an operator sees when a process can take work."""
        if self.problem is not None:
            log.info("%s is ready", self.name)
        # Hangs and crash loops happen in the machine's time: a test clock moved forward
        # must not make a task look stalled, so supervision reads time.monotonic().
        self.problem, self.last_ready = None, time.monotonic()

    def not_ready(self, problem: str) -> None:
        self.problem = problem

    def status(self) -> str | None:
        """What keeps the task from its job now; None when it is doing it."""
        silent = time.monotonic() - self.last_ready
        if self.problem is None and self.heartbeat is not None and silent > self.heartbeat:
            return f"no progress for {silent:.1f} s"
        return self.problem


Task = Callable[[Part], Awaitable[None]]


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


@dataclass
class Supervisor:
    """Runs tasks until ``stop`` is set, starting each again when it crashes."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    parts: dict[str, Part] = field(default_factory=dict)
    first_delay: float = FIRST_DELAY
    max_delay: float = MAX_DELAY

    def problems(self) -> dict[str, str | None]:
        """Each task's name and what keeps it from its job (None when it is doing it)."""
        return {name: part.status() for name, part in self.parts.items()}

    async def run(self, name: str, task: Task, heartbeat: float | None = None) -> None:
        """Run ``task`` until the supervisor stops; a crash or an early return is logged and
        the task started again, later each time in a row (up to ``max_delay``). With a
        ``heartbeat``, the task is reported down when it has not said ``ready`` for as long."""
        part = self.parts[name] = Part(name, self.stop, heartbeat)
        delay = self.first_delay
        while not self.stop.is_set():
            started = time.monotonic()
            part.not_ready("starting")
            crash = await _attempt(task, part)
            if self.stop.is_set():
                break
            if time.monotonic() - started > HEALTHY_AFTER:
                delay = self.first_delay
            cause = "stopped on its own" if crash is None else f"crashed: {crash!r}"
            part.not_ready(cause)
            log.error("%s %s; starting it again in %.1f s", name, cause, delay, exc_info=crash)
            await pause(self.stop, delay)
            delay = min(delay * 2, self.max_delay)
        part.not_ready("stopped")


async def _attempt(task: Task, part: Part) -> Exception | None:
    try:
        await task(part)
    except Exception as exc:  # whatever the cause, the task must come back
        return exc
    return None
