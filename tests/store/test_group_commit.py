"""The SQLite store's group commit: writes waiting for its thread together commit in one
transaction, and one that fails takes nobody else's with it."""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from app.clock import SystemClock
from app.errors import NotFound
from app.models.run import RunStatus, StepRecord, StepStatus
from app.store.protocol import Intake
from app.store.sqlite import SQLiteStore
from app.store.sqlite.database import Database
from tests.clock import now
from tests.store.records import claim, event, ids, run


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A SQLite store of its own (the group commit is SQLite's), not the shared
    fixture's run over both adapters."""
    opened = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    yield opened
    await opened.close()


async def test_a_failing_event_in_a_group_leaves_the_others_accepted(store: SQLiteStore) -> None:
    await store.accept_event(Intake(event("ev0"), [run("taken")]))
    intakes = [Intake(event(f"ev{n}"), [run(f"r{n}")]) for n in range(1, 11)]
    intakes[4] = Intake(event("ev5"), [run("r5"), run("taken")])  # a run id stored already
    outcomes = await asyncio.gather(
        *(store.accept_event(intake) for intake in intakes), return_exceptions=True
    )
    assert isinstance(outcomes[4], sqlite3.IntegrityError)
    for n in (*range(1, 5), *range(6, 11)):
        assert (await store.get_event("acme", f"ev{n}")).run_ids == [f"r{n}"]
    # The failed event's writes are undone whole: its event and its first run too.
    with pytest.raises(NotFound):
        await store.get_event("acme", "ev5")
    with pytest.raises(NotFound):
        await store.get_run("acme", "r5")


async def test_an_event_reported_failed_is_not_kept_when_sqlite_rolls_back_the_group(
    store: SQLiteStore,
) -> None:
    # A run's save waits with the events, so they share the group's transaction. ev4's run
    # id is taken, so the events' one pass fails and each goes again on its own; then ev7's
    # insert makes SQLite roll back the whole transaction (as a full disk or an I/O error
    # may; here a trigger's RAISE(ROLLBACK), in the test's own file: not a TEMP trigger,
    # which a group's switch of temporary storage would drop).
    await store.accept_event(Intake(event("ev0"), [run("taken")]))
    saved = await store.get_run("acme", "taken")
    saved.move(RunStatus.RUNNING, saved.updated_at, "picked up")
    store._database._db.execute(
        "CREATE TRIGGER cut BEFORE INSERT ON events WHEN NEW.event_id = 'ev7'"
        " BEGIN SELECT RAISE(ROLLBACK, 'the disk is full'); END"
    )
    intakes = [Intake(event(f"ev{n}"), [run(f"r{n}")]) for n in range(1, 11)]
    intakes[3] = Intake(event("ev4"), [run("r4"), run("taken")])
    *outcomes, _ = await asyncio.gather(
        *(store.accept_event(intake) for intake in intakes),
        store.save_run(saved),
        return_exceptions=True,
    )
    assert isinstance(outcomes[6], sqlite3.Error)
    for n, outcome in enumerate(outcomes, start=1):
        if isinstance(outcome, Exception):  # a caller told of a failure retries it
            with pytest.raises(NotFound):
                await store.get_event("acme", f"ev{n}")
        else:
            assert (await store.get_event("acme", f"ev{n}")).run_ids == [f"r{n}"]


async def test_events_accepted_in_one_pass_see_each_other_as_if_one_by_one(
    store: SQLiteStore,
) -> None:
    keyed = {3: claim("event:k", "ev3"), 7: claim("event:k", "ev7")}
    calls = [[Intake(event(f"ev{n}"), [], keyed.get(n))] for n in range(10)]
    calls[9] = [Intake(event("ev9"), []), Intake(event("ev10"), [])]  # a batch of two
    outcomes = await asyncio.gather(*(store.accept_events(call) for call in calls))
    assert [[one.event.event_id for one in each] for each in outcomes] == [
        *([f"ev{n}"] for n in range(7)),
        ["ev3"],  # the key ev3 holds: ev7 is its duplicate, and is not stored
        ["ev8"],
        ["ev9", "ev10"],
    ]
    assert [one.duplicate for each in outcomes for one in each].count(True) == 1
    with pytest.raises(NotFound):
        await store.get_event("acme", "ev7")
    # Each accepted event touched the user's profile once, the duplicate not at all.
    assert (await store.get_profile("acme", "u1")).event_count == 10


async def test_runs_saved_together_each_keep_their_own_revision_check(store: SQLiteStore) -> None:
    await store.add_runs([run(f"r{n}") for n in range(6)])
    loaded = [await store.get_run("acme", f"r{n}") for n in range(6)]
    for one in loaded:
        one.move(RunStatus.RUNNING, one.updated_at, "picked up")
    loaded[2].revision = 7  # another writer moved it on: this save must be refused
    saved = await asyncio.gather(*(store.save_run(one) for one in loaded))
    assert saved == [True, True, False, True, True, True]
    running = [await store.get_run("acme", f"r{n}") for n in range(6)]
    assert ids([one for one in running if one.status == RunStatus.RUNNING]) == [
        "r0",
        "r1",
        "r3",
        "r4",
        "r5",
    ]


async def test_a_save_failing_in_a_pass_fails_alone_and_keeps_its_revision(
    store: SQLiteStore,
) -> None:
    # Runs saved together go in one pass; r4's run cannot be stored, so the pass is undone
    # (r0 to r3 written already) and each save goes again on its own, as if one by one.
    await store.add_runs([run(f"r{n}") for n in range(6)])
    loaded = [await store.get_run("acme", f"r{n}") for n in range(6)]
    for one in loaded:
        one.move(RunStatus.RUNNING, one.updated_at, "picked up")
    before = [one.revision for one in loaded]
    loaded[2].revision += 5  # another writer moved it on: refused, its step kept
    loaded[4].vars = {"unstorable": object()}
    saved = await asyncio.gather(
        *(store.save_run(one, [step(one.run_id, n)]) for n, one in enumerate(loaded)),
        return_exceptions=True,
    )
    assert saved[:4] + saved[5:] == [True, True, False, True, True]
    assert isinstance(saved[4], TypeError)
    for n in range(6):
        stored = await store.get_run("acme", f"r{n}")
        recorded = [one.output for one in await store.list_steps("acme", f"r{n}")]
        if n in (2, 4):
            assert (stored.status, stored.revision) == (RunStatus.PENDING, before[n])
        else:
            assert (stored.status, stored.revision) == (RunStatus.RUNNING, before[n] + 1)
            assert loaded[n].revision == stored.revision
        assert recorded == ([] if n == 4 else [n])  # nothing of the failed save is kept


async def test_saves_of_one_hop_wait_for_a_locked_file_once_not_once_each(
    store: SQLiteStore, tmp_path: Path
) -> None:
    # Another process holds the file's write lock past the busy timeout (30 s, 50 ms here).
    # The saves of one hop fail together after one wait: a wait each, in turn, held the
    # store's thread 5 times as long (100 saves: 50 minutes), every other call behind it.
    await store.add_runs([run(f"r{n}") for n in range(5)])
    loaded = [await store.get_run("acme", f"r{n}") for n in range(5)]
    for one in loaded:
        one.move(RunStatus.RUNNING, one.updated_at, "picked up")
    before = [one.revision for one in loaded]
    database = store._database._db
    database.execute("PRAGMA busy_timeout = 50")
    begun: list[str] = []
    database.set_trace_callback(lambda sql: begun.append(sql) if sql.startswith("BEGIN") else None)
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        saved = await asyncio.gather(
            *(store.save_run(one) for one in loaded), return_exceptions=True
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        database.set_trace_callback(None)
    assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in saved), saved
    assert begun == ["BEGIN IMMEDIATE"]
    assert [one.revision for one in loaded] == before
    assert await asyncio.gather(*(store.save_run(one) for one in loaded)) == [True] * 5


def temporary_files() -> list[str]:
    """The files SQLite made for temporary storage (``etilqs_*``) this process holds open."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # the listing's own descriptor, closed meanwhile
            continue
        if "etilqs_" in target:
            found.append(target)
    return found


def test_a_groups_savepoints_keep_their_journal_in_memory(tmp_path: Path) -> None:
    # Past 64 KB SQLite spills a savepoint's journal to a new file in /var/tmp: a hop's
    # saves of a hundred runs, each row on a page of its own, reach that, and the file was
    # made and deleted per group commit. Outside a group, temporary storage is files again:
    # a sort in memory grows with the table (124 MB more for a GROUP BY of 2 million rows).
    database = Database(tmp_path / "store.db", SystemClock())
    try:
        runs = [run(f"r{n}", context={"note": "x" * 2000}) for n in range(100)]
        database.add_runs(runs)
        saves = [(one, [step(one.run_id, n)]) for n, one in enumerate(runs)]
        saved, held_open = database.together([partial(database.save_each, saves), temporary_files])
        assert [outcome.result for outcome in saved.result] == [True] * 100
        assert held_open.result == []
        assert database._db.execute("PRAGMA temp_store").fetchone() == (0,)
    finally:
        database.close()


def step(run_id: str, output: Any) -> StepRecord:
    return StepRecord(
        tenant_id="acme",
        run_id=run_id,
        workflow_id="wf",
        step_id="a0",
        action_type="log",
        attempt=1,
        status=StepStatus.COMPLETED,
        started_at=now(),
        finished_at=now(),
        idempotency_key=f"{run_id}:a0:0",
        output=output,
    )
