"""A job's wait for its task, under the job's timeout: ``asyncio.wait_for`` as Python 3.11
has it, awaiting the task itself.

``wait_for`` waits on a future of its own, which a callback on the task releases: per job a
future, a ``functools.partial``, the callback's turn of the loop and four Python frames more
(``ensure_future``'s checks), about 13,000 instructions of a worker's 270,000 for a job that
does nothing (bench/README.md). Here the job's own timer cancels the task, and the wait sorts
what ended it as ``wait_for`` does.
"""

import asyncio
from typing import Any


class _Expiry:
    """A job's timeout: when it falls, the job's task is cancelled."""

    __slots__ = ("fell", "task")

    def __init__(self, task: "asyncio.Task[Any]") -> None:
        self.task = task
        self.fell = False

    def fall(self) -> None:
        self.fell = True
        self.task.cancel()


async def wait_for_job(task: "asyncio.Task[Any]", timeout: float | None) -> Any:  # noqa: ASYNC109 - arq's job timeout
    """``await asyncio.wait_for(task, timeout)`` (Python 3.11's): the task's result or error;
    ``TimeoutError`` when its timeout cancelled it; ``CancelledError`` when the task was
    cancelled otherwise, or this wait itself was (the task is cancelled with it, and waited
    for)."""
    if timeout is None:
        return await task
    expiry = _Expiry(task)
    timer = asyncio.get_running_loop().call_later(timeout, expiry.fall)
    try:
        result = await task
    except asyncio.CancelledError:
        if not task.cancelled():  # the task ended, then this wait was cancelled: wait_for
            return task.result()  # answers the task's end
        if expiry.fell and not _cancelled_itself():
            raise TimeoutError from None
        raise
    except Exception:
        if _passed_on(task):  # the task failed on the cancel: wait_for raises the cancel
            raise asyncio.CancelledError from None
        raise
    finally:
        timer.cancel()
    if _passed_on(task):  # the task ended all the same: wait_for raises the cancel
        raise asyncio.CancelledError
    return result


def _passed_on(task: "asyncio.Task[Any]") -> bool:
    """Whether a cancel of this wait was passed on to ``task``, which ended otherwise than
    cancelled (a result, or an error of its own while it stopped)."""
    return task.cancelling() > 0 and _cancelled_itself()


def _cancelled_itself() -> bool:
    """Whether the task waiting was asked to cancel: a cancel of the wait passes on to the
    task it awaits, which is all the task sees of it."""
    waiting = asyncio.current_task()
    return waiting is not None and waiting.cancelling() > 0
