"""The supervisor: a task that crashes or returns is logged and started again."""

import asyncio
import logging
import re

import pytest

from app.supervisor import Part, Supervisor
from tests.waiting import until


async def test_a_crashing_task_is_logged_and_started_again_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(first_delay=0.01, max_delay=0.02)
    starts, up = 0, asyncio.Event()

    async def flaky(part: Part) -> None:
        nonlocal starts
        starts += 1
        if starts < 3:
            raise ConnectionError(f"Redis gone (attempt {starts})")
        part.ready()
        up.set()
        await part.stop.wait()

    running = asyncio.create_task(supervisor.run("flaky", flaky))
    await up.wait()
    supervisor.stop.set()
    await running
    assert starts == 3
    crashes = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in crashes] == [
        "flaky crashed: ConnectionError('Redis gone (attempt 1)'); starting it again in 0.0 s",
        "flaky crashed: ConnectionError('Redis gone (attempt 2)'); starting it again in 0.0 s",
    ]
    assert "Traceback (most recent call last)" in caplog.text, "the traceback is logged too"
    assert supervisor.problems() == {"flaky": "stopped"}


async def test_a_task_that_returns_early_is_restarted_and_reported_down_meanwhile() -> None:
    supervisor = Supervisor(first_delay=5.0)
    returned = asyncio.Event()

    async def quits(part: Part) -> None:
        returned.set()

    running = asyncio.create_task(supervisor.run("quits", quits))
    await returned.wait()
    await asyncio.sleep(0)
    assert supervisor.problems() == {"quits": "stopped on its own"}
    supervisor.stop.set()
    await running


async def test_a_silent_task_with_a_heartbeat_is_reported_down() -> None:
    """Ready, then silent: reported down once its heartbeat (a second, long beside what a
    loaded machine stalls a process for) has passed, with how long it has been silent."""
    supervisor = Supervisor()

    async def hangs(part: Part) -> None:
        part.ready()
        await part.stop.wait()

    async def ready() -> bool:
        return supervisor.problems() == {"hangs": None}

    async def down() -> str | None:
        problem = supervisor.problems()["hangs"]
        return problem if problem is not None and problem.startswith("no progress") else None

    running = asyncio.create_task(supervisor.run("hangs", hangs, heartbeat=1))
    await until(ready, "the task ready")
    said = await until(down, "the task reported down")
    silent = re.fullmatch(r"no progress for (\d+\.\d) s", said)
    assert silent is not None, said
    assert float(silent[1]) >= 1
    supervisor.stop.set()
    await running
