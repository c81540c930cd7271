"""Writes of concurrent callers sent to Redis in one call: while one call is out, the
items of every caller that comes meanwhile wait and go together in the next, as the
store's group commit gathers its writes. Under load that is one round trip for many
callers; alone, a caller's call goes at once."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


def _settle(futures: Sequence["asyncio.Future[None]"], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # its caller was cancelled meanwhile
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class Together(Generic[T]):
    """``await together(items)`` returns once a call of ``send`` carrying ``items`` (and
    whatever other callers added meanwhile) has returned, or raises its error: each caller
    hears of the call its own items went in."""

    def __init__(self, send: Callable[[list[T]], Awaitable[object]]) -> None:
        self._send = send
        self._waiting: list[tuple[Sequence[T], asyncio.Future[None]]] = []
        self._sending: asyncio.Task[None] | None = None

    async def __call__(self, items: Sequence[T]) -> None:
        if not items:
            return
        loop = asyncio.get_running_loop()
        sent: asyncio.Future[None] = loop.create_future()
        if self._sending is not None and self._sending.get_loop() is not loop:
            # The items of another event loop that ended (one client used from several
            # loops, as tests do): their callers are gone with it.
            self._waiting, self._sending = [], None
        self._waiting.append((items, sent))
        if self._sending is None:
            self._sending = loop.create_task(self._send_waiting())
        await sent

    async def _send_waiting(self) -> None:
        """Send the items waiting, all in one call, until none are left."""
        taken: list[tuple[Sequence[T], asyncio.Future[None]]] = []
        try:
            while self._waiting:
                taken, self._waiting = self._waiting, []
                error = None
                try:
                    await self._send([item for items, _ in taken for item in items])
                except Exception as exc:
                    error = exc
                _settle([sent for _, sent in taken], error)
                taken = []
        except BaseException:  # cancelled: the loop is ending
            ended = RuntimeError("the event loop ended before the writes were sent")
            _settle([sent for _, sent in [*taken, *self._waiting]], ended)
            self._waiting = []
            raise
        finally:
            self._sending = None
