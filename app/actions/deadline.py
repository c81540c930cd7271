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
    """``asyncio.timeout(seconds)`` around a whole call, known to the call's reads."""

    def __init__(self, seconds: float | None) -> None:
        self._timeout = asyncio.timeout(seconds)
        self._token: Token[tuple[asyncio.Task[Any] | None, float]] | None = None

    async def __aenter__(self) -> None:
        await self._timeout.__aenter__()
        when = self._timeout.when()
        if when is not None:
            self._token = _BOUND.set((asyncio.current_task(), when))

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _BOUND.reset(self._token)
        await self._timeout.__aexit__(kind, exc, traceback)


def outlasts_call(loop: asyncio.AbstractEventLoop, timeout: float | None) -> bool:
    """Whether a wait of ``timeout`` seconds (None: no limit) starting now would end after
    the ``CallTimeout`` around the current task's call ends it; False outside one, and in
    another task than the call's (a task it started is not cancelled with it)."""
    task, when = _BOUND.get()
    if task is None or task is not asyncio.current_task():
        return False
    return timeout is None or loop.time() + timeout >= when
