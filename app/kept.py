"""What a process keeps for a moment of what it reads from its store (tenants' limits,
connectors' configurations): each value read at most once per ``seconds``, by one read that
every caller finding its copy old waits for."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from app.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Each key's value as ``read`` gives it, read at most once per ``seconds``: a change
    made through any process applies everywhere within that time (at once in the process
    that made it, which calls ``forget``).

    Callers that find a key's copy old while a read of it is on its way wait for that read
    instead of making their own: a worker's claim of 100 resumes walks 100 runs at once, and
    each asked for its tenant's limits (100 reads in one store hop, once a second)."""

    def __init__(self, read: Callable[[K], Awaitable[V]], clock: Clock, seconds: float) -> None:
        self._read_value = read
        self._clock = clock
        self._seconds = seconds
        self._kept: dict[K, tuple[float, V]] = {}
        # The reads on their way, by key (none when nothing is kept: ``seconds`` 0).
        self._reading: dict[K, asyncio.Task[V]] = {}

    async def get(self, key: K) -> V:
        kept = self._kept.get(key)
        if kept is not None and self._clock.monotonic() - kept[0] < self._seconds:
            return kept[1]
        if self._seconds <= 0:
            return await self._read_value(key)
        reading = self._reading.get(key)
        if reading is None or reading.get_loop() is not asyncio.get_running_loop():
            reading = asyncio.create_task(self._read(key))
            # Its callers may all be cancelled: its error is theirs to hear, not the loop's.
            reading.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._reading[key] = reading
        # Shielded: a caller cancelled does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read(self, key: K) -> V:
        """Read the value and keep it from when the read began, unless it was forgotten
        meanwhile: a read begun before a change may hold the old value."""
        current = asyncio.current_task()
        try:
            began = self._clock.monotonic()
            value = await self._read_value(key)
            if self._reading.get(key) is current:
                self._kept[key] = (began, value)
            return value
        finally:
            if self._reading.get(key) is current:
                del self._reading[key]

    def forget(self, key: K) -> None:
        """Read the key's value anew at the next ``get`` (it changed here)."""
        self._kept.pop(key, None)
        self._reading.pop(key, None)
