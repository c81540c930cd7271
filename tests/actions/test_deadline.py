"""A step's call timeout (``CallTimeout``) ends a call as ``asyncio.timeout`` would, on both
event loops the service runs on."""

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from app.actions.deadline import CallTimeout

Run = Callable[[Coroutine[Any, Any, None]], None]
LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])


@LOOPS
def test_a_call_past_its_timeout_is_cancelled_and_raises_timeout_error(run: Run) -> None:
    async def scenario() -> None:
        task = asyncio.current_task()
        assert task is not None
        with pytest.raises(TimeoutError), CallTimeout(0.01):
            await asyncio.Event().wait()
        assert task.cancelling() == 0  # its own cancel taken back: the task goes on
        await asyncio.sleep(0)

    run(scenario())


@LOOPS
def test_a_task_that_kept_an_earlier_cancel_still_times_out(run: Run) -> None:
    """A cancel the task took and kept before the call (cancelling() stays 1) is not one of
    the call's: its timeout is still a TimeoutError, as ``asyncio.timeout`` has it."""

    async def scenario() -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
        with pytest.raises(TimeoutError), CallTimeout(0.01):
            await asyncio.Event().wait()
        assert task.cancelling() == 1

    run(scenario())


@LOOPS
def test_a_call_ended_in_time_leaves_no_timer_behind(run: Run) -> None:
    async def scenario() -> None:
        # Ended with no turn of the loop: on uvloop a turn runs due timers before the call's
        # next step, so a stall of the machine past the timeout would end the call as it ends.
        with CallTimeout(0.01):
            pass
        await asyncio.sleep(0.05)  # past the call's timeout: not cancelled by it

    run(scenario())


@LOOPS
def test_a_cancel_from_outside_stays_a_cancel_even_when_the_timeout_also_fell(
    run: Run,
) -> None:
    """The walk's task cancelled (its worker stopping) as the call's timeout falls: the
    cancel is the caller's, not turned into the step's timeout."""

    async def call() -> None:
        task = asyncio.current_task()
        assert task is not None
        with CallTimeout(0.01):
            # Set in the turn that set the timeout, with no turn of the loop between them: on a
            # slow machine the timeout could otherwise fall before the cancel was even set.
            asyncio.get_running_loop().call_later(0.015, task.cancel)  # after its timeout...
            time.sleep(0.03)  # noqa: ASYNC251 - blocks the loop: both due at its next turn
            await asyncio.Event().wait()

    async def scenario() -> None:
        task = asyncio.create_task(call())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()

    run(scenario())


@LOOPS
def test_no_timeout_bounds_nothing(run: Run) -> None:
    async def scenario() -> None:
        with CallTimeout(None):
            await asyncio.sleep(0.01)

    run(scenario())
