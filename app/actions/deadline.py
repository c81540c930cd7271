"""The timeout around a whole connector call, as the call's reads see it.

A step's call runs within its timeout (``CallTimeout``, app/engine/walk/walker.py). A read
whose own timeout would end only after that one needs no timer of its own: the call's timeout
cancels it first, as it would have anyway. On uvloop a timer made and cancelled per read cost
about as much as the rest of the read (bench/README.md).
"""

import asyncio
import math
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

# The task a ``CallTimeout`` bounds, and the loop time at which it cancels that task.
_BOUND: ContextVar[tuple[asyncio.Task[Any] | None, float]] = ContextVar(
    "bound", default=(None, math.inf)
)


class CallTimeout:
    """``asyncio.timeout(seconds)`` around a whole call, known to the call's reads.

    The same cancellation and the same ``TimeoutError`` as Python 3.11's ``Timeout`` (a
    cancel of its own is turned into it once no cancel made during the call is outstanding;
    one the task took before the call, and kept, does not count),
    without its state machine and its two coroutines per call: a step's call is made three
    times a run (bench/README.md), and this is one timer, set and cancelled."""

    __slots__ = ("_cancelling", "_expired", "_seconds", "_task", "_timer", "_token")
    _cancelling: int
    _task: asyncio.Task[Any]
    _token: Token[tuple[asyncio.Task[Any] | None, float]]

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._timer: asyncio.TimerHandle | None = None
        self._expired = False

    def __enter__(self) -> None:
        if self._seconds is None:
            return
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a call's timeout is kept by its task: call within one")
        when = loop.time() + self._seconds
        self._task = task
        self._cancelling = task.cancelling()
        self._timer = loop.call_at(when, self._expire)
        self._token = _BOUND.set((task, when))

    def _expire(self) -> None:
        self._task.cancel()
        self._expired = True

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._timer is None:
            return
        _BOUND.reset(self._token)
        self._timer.cancel()
        timed_out = self._expired and self._task.uncancel() <= self._cancelling
        if timed_out and kind is asyncio.CancelledError:
            raise TimeoutError


def outlasts_call(loop: asyncio.AbstractEventLoop, timeout: float | None) -> bool:
    """Whether a wait of ``timeout`` seconds (None: no limit) starting now would end after
    the ``CallTimeout`` around the current task's call ends it; False outside one, and in
    another task than the call's (a task it started is not cancelled with it)."""
    task, when = _BOUND.get()
    if task is None or task is not asyncio.current_task(loop):
        return False
    return timeout is None or loop.time() + timeout >= when
