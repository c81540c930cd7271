"""A worker's pace: its polls space out while it has nothing to do, up to its idle delay, and
come back to its poll delay the moment it finds work."""

import asyncio

from app.engine.flow.pace import Pace


def test_polls_finding_nothing_double_their_delay_up_to_the_idle_delay() -> None:
    pace = Pace(0.05, 0.25)
    delays = []
    for _ in range(5):
        pace.polled(busy=False)
        delays.append(pace.delay)
    assert delays == [0.1, 0.2, 0.25, 0.25, 0.25]
    pace.polled(busy=True)
    assert (pace.delay, pace.quiet) == (0.05, False)


def test_work_found_between_polls_keeps_the_next_poll_at_the_poll_delay() -> None:
    """A claim of resumes took some while the jobs' poll found none: not idle."""
    pace = Pace(0.05, 0.25)
    pace.working()
    pace.polled(busy=False)
    assert pace.delay == 0.05
    pace.polled(busy=False)
    assert pace.delay == 0.1


def test_an_idle_delay_under_the_poll_delay_is_the_poll_delay() -> None:
    pace = Pace(0.05, 0.01)
    pace.polled(busy=False)
    assert (pace.delay, pace.quiet) == (0.05, False)


async def test_work_found_ends_a_quiet_polls_rest_at_once() -> None:
    pace = Pace(0.05, 60)
    for _ in range(20):
        pace.polled(busy=False)
    resting = asyncio.create_task(pace.rest())
    await asyncio.sleep(0.05)
    assert not resting.done()
    pace.working()
    async with asyncio.timeout(5):  # not the minute it rested for
        await resting
    assert pace.delay == 0.05
