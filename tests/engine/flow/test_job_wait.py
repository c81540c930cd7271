"""A job's wait for its task answers what ``asyncio.wait_for`` answers, in each way a job
ends, on both event loops the service runs on: each scenario runs with both waits."""

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from app.engine.flow.job_wait import wait_for_job

Wait = Callable[[asyncio.Task[Any], float], Coroutine[Any, Any, Any]]
WAITS = pytest.mark.parametrize(
    "wait", [asyncio.wait_for, wait_for_job], ids=["wait_for", "wait_for_job"]
)
LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
Run = Callable[[Coroutine[Any, Any, None]], None]


async def hangs() -> None:
    await asyncio.Event().wait()


async def hangs_past_its_cancel() -> str:
    """A job that ends well when cancelled."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        return "ended anyway"
    raise AssertionError("not reached")


async def fails() -> None:
    await asyncio.sleep(0)
    raise ValueError("failed")


async def fails_when_cancelled() -> None:
    """A job whose clean-up fails as it stops."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        raise ValueError("clean-up failed") from None


@LOOPS
@WAITS
def test_a_job_in_time_answers_its_result_or_its_error(run: Run, wait: Wait) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        assert await wait(loop.create_task(asyncio.sleep(0, "done")), 5) == "done"
        with pytest.raises(ValueError, match="failed"):
            await wait(loop.create_task(fails()), 5)

    run(scenario())


@LOOPS
@WAITS
def test_a_job_past_its_timeout_is_cancelled_and_times_out(run: Run, wait: Wait) -> None:
    async def scenario() -> None:
        job = asyncio.get_running_loop().create_task(hangs())
        with pytest.raises(TimeoutError):
            await wait(job, 0.01)
        assert job.cancelled()
        waiting = asyncio.current_task()
        assert waiting is not None
        assert waiting.cancelling() == 0

    run(scenario())


@LOOPS
@WAITS
def test_a_job_ending_well_past_its_timeout_answers_its_result(run: Run, wait: Wait) -> None:
    async def scenario() -> None:
        job = asyncio.get_running_loop().create_task(hangs_past_its_cancel())
        assert await wait(job, 0.01) == "ended anyway"

    run(scenario())


@LOOPS
@WAITS
def test_a_job_cancelled_apart_from_its_wait_is_a_cancel(run: Run, wait: Wait) -> None:
    """As arq's abort cancels a job's task."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        job = loop.create_task(hangs())
        loop.call_later(0.01, job.cancel)
        with pytest.raises(asyncio.CancelledError):
            await wait(job, 5)
        waiting = asyncio.current_task()
        assert waiting is not None
        assert waiting.cancelling() == 0

    run(scenario())


@LOOPS
@WAITS
@pytest.mark.parametrize("job", [hangs, hangs_past_its_cancel, fails_when_cancelled])
def test_a_cancelled_wait_cancels_its_job_and_is_a_cancel(
    run: Run, wait: Wait, job: Callable[[], Coroutine[Any, Any, Any]]
) -> None:
    """As a worker stopping cancels its jobs' waits: a cancel, however the job ends."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(job())
        waiting = loop.create_task(wait(task, 5))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert task.done()

    run(scenario())


@LOOPS
@WAITS
def test_a_wait_cancelled_once_its_job_ended_answers_the_jobs_end(run: Run, wait: Wait) -> None:
    """The job ends, and its wait is cancelled before it wakes to read the end."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Task[Any]] = []

        async def job() -> str:
            await asyncio.sleep(0.01)
            loop.call_soon(waiting[0].cancel)  # before the wait's wake-up, which the end calls
            return "done"

        waiting.append(loop.create_task(wait(loop.create_task(job()), 5)))
        assert await waiting[0] == "done"

    run(scenario())


@LOOPS
@WAITS
def test_a_wait_cancelled_as_its_timeout_falls_is_a_cancel(run: Run, wait: Wait) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        waiting = loop.create_task(wait(loop.create_task(hangs()), 0.01))
        await asyncio.sleep(0)  # the wait starts, its timeout set
        loop.call_later(0.02, waiting.cancel)  # after the timeout...
        time.sleep(0.05)  # noqa: ASYNC251 - blocks the loop: both due at its next turn
        with pytest.raises(asyncio.CancelledError):
            await waiting

    run(scenario())
