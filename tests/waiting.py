"""Waiting for a state that real workers, servers and timers bring about: polled until it
holds, within a deadline that is a guard against hanging, never a timing."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Seconds a test waits for a state before it fails. A loaded CI machine (two cores, a
# dozen processes busy) stretches a walk of milliseconds to seconds: the deadline is far
# beyond that, and reached only when the state never comes.
DEADLINE = 60.0
# Seconds for a process a test starts (automator dev, a worker, a CLI command) to be up or
# done: a few, on a busy machine a minute or more, the interpreter and imports loaded cold.
COLD_START = 180


async def until(
    check: Callable[[], Awaitable[T | None]],
    what: str | Callable[[], str] = "the state awaited",
    *,
    seconds: float = DEADLINE,
    every: float = 0.01,
) -> T:
    """The first true answer of ``check``, asked every ``every`` seconds; an AssertionError
    naming ``what`` (a text, or a function writing it from what was last seen) if none
    comes within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (answer := await check()):
        if time.monotonic() > deadline:
            said = what if isinstance(what, str) else what()
            raise AssertionError(f"not within {seconds:g} s: {said}")
        await asyncio.sleep(every)
    return answer
