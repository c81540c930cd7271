"""Runs and their steps: saves, lists, counts and tallies; on every adapter."""

from datetime import timedelta
from typing import Any

import pytest

from app.errors import InvalidInput, NotFound
from app.models.run import RunFilter, RunStatus, StepRecord, StepStatus
from app.models.stats import Period, RunTally
from app.models.workflow import Page
from app.store.protocol import Intake, Store
from app.store.rules import MUTABLE_RUN_FIELDS
from tests.clock import now
from tests.store.records import document, event, ids, run


async def test_save_run_refuses_a_stale_revision(store: Store) -> None:
    await store.accept_event(Intake(event(), [run("r1")]))
    worker = await store.get_run("acme", "r1")
    control = await store.get_run("acme", "r1")
    control.status = RunStatus.PAUSED
    assert await store.save_run(control)
    worker.pc, worker.vars = 1, {"a": 1}
    at = now()
    done = StepRecord("acme", "r1", "wf", "a0", "log", 1, StepStatus.COMPLETED, at, at, "r1:a0:0")
    assert not await store.save_run(worker, [done])
    recorded = await store.list_steps("acme", "r1")
    assert [(s.step_id, s.idempotency_key) for s in recorded] == [("a0", "r1:a0:0")]
    fresh = await store.get_run("acme", "r1")
    assert (fresh.status, fresh.pc, fresh.revision) == (RunStatus.PAUSED, 0, 1)
    fresh.pc, fresh.vars, fresh.outputs = 1, {"a": 1}, {"a1": {"output": [1, 2]}}
    assert await store.save_run(fresh)
    stored = await store.get_run("acme", "r1")
    assert (stored.pc, stored.vars, stored.outputs, stored.revision) == (
        1,
        {"a": 1},
        {"a1": {"output": [1, 2]}},
        2,
    )


async def test_runs_list_newest_first_with_filters(store: Store) -> None:
    runs = [
        run("r1"),
        run("r2", user_id="u2"),
        run("r3", status=RunStatus.FAILED),
        run("r4", "other"),
    ]
    await store.accept_event(Intake(event(), runs))
    await store.accept_event(
        Intake(event("ev9", tenant_id="globex"), [run("r5", tenant_id="globex")])
    )
    assert ids(await store.list_runs("acme", RunFilter(), Page())) == ["r4", "r3", "r2", "r1"]
    assert ids(await store.list_runs("acme", RunFilter(workflow_id="wf"), Page(limit=2))) == [
        "r3",
        "r2",
    ]
    assert ids(await store.list_runs("acme", RunFilter(status=RunStatus.FAILED), Page())) == ["r3"]
    assert ids(await store.list_runs("acme", RunFilter(user_id="u2"), Page())) == ["r2"]
    reach = RunFilter(workflow_ids=["other", "gone"])
    assert ids(await store.list_runs("acme", reach, Page())) == ["r4"]
    assert ids(await store.list_runs("acme", RunFilter("wf", workflow_ids=["other"]), Page())) == []
    assert ids(await store.list_runs("acme", RunFilter(), Page(after="r2"))) == ["r1"]
    later = now() + timedelta(hours=1)
    assert ids(await store.list_runs("acme", RunFilter(since=later), Page())) == []
    assert ids(await store.list_runs("acme", RunFilter(until=later), Page(limit=1))) == ["r4"]
    assert await store.run_counts("acme") == {
        "wf": {RunStatus.PENDING: 2, RunStatus.FAILED: 1},
        "other": {RunStatus.PENDING: 1},
    }
    with pytest.raises(NotFound):
        await store.get_run("globex", "r1")


async def pages(store: Store, where: RunFilter, limit: int) -> list[list[str]]:
    """Every page of the listing, each after the last run of the page before."""
    found: list[list[str]] = []
    after = None
    while page := await store.list_runs("acme", where, Page(limit, after)):
        found.append(ids(page))
        after = page[-1].run_id
    return found


async def test_a_listing_by_time_pages_newest_created_first_through_shared_times(
    store: Store,
) -> None:
    """By creation time, then run id: r3, r4 and r5 were created at one instant, and the
    ids sort otherwise than the times (as ids from several processes' clocks may)."""
    at = now().replace(microsecond=0)
    created = {"r1": 3, "r2": 1, "r3": 2, "r4": 2, "r5": 2, "r6": 0}
    runs = [run(run_id, created_at=at + timedelta(seconds=s)) for run_id, s in created.items()]
    await store.accept_event(Intake(event(), runs))
    other = run("r7", tenant_id="globex", created_at=at + timedelta(seconds=2))
    await store.accept_event(Intake(event("ev9", tenant_id="globex"), [other]))
    since = RunFilter(since=at + timedelta(seconds=1))
    assert await pages(store, since, 2) == [["r1", "r5"], ["r4", "r3"], ["r2"]]
    until = RunFilter(until=at + timedelta(seconds=3))
    assert await pages(store, until, 2) == [["r5", "r4"], ["r3", "r2"], ["r6"]]
    assert await pages(store, RunFilter(status=RunStatus.PENDING, since=at), 4) == [
        ["r1", "r5", "r4", "r3"],
        ["r2", "r6"],
    ]
    # A bulk job's batches: by run id, below a cut of ids that need not be a run's.
    by_id = await store.list_runs("acme", since, Page(after="r5"), by_id=True)
    assert ids(by_id) == ["r4", "r3", "r2", "r1"]


async def test_a_listing_by_time_after_a_run_not_stored_is_refused_by_name(
    store: Store,
) -> None:
    """It goes on from its cursor's run's creation time: without the run, an empty page
    would look like the end of the listing."""
    await store.accept_event(Intake(event(), [run("r1")]))
    await store.accept_event(
        Intake(event("ev9", tenant_id="globex"), [run("r7", tenant_id="globex")])
    )
    since = RunFilter(since=now() - timedelta(hours=1))
    for gone in ("r0", "r7"):  # never stored, or another tenant's
        with pytest.raises(InvalidInput) as refused:
            await store.list_runs("acme", since, Page(after=gone))
        assert refused.value.details[0].loc == ("query", "after")
        assert f"after names run {gone!r}, which is not stored" in refused.value.message
    assert ids(await store.list_runs("acme", RunFilter(), Page(after="r2"))) == ["r1"]


async def test_steps_are_listed_per_run_and_per_workflow(store: Store) -> None:
    at = now()
    steps = [
        StepRecord(
            "acme",
            "r1",
            "wf",
            f"a{n}",
            "log",
            1,
            StepStatus.COMPLETED,
            at,
            at,
            f"r1:a{n}:0",
            {"message": "hi"},
            {"ok": n},
        )
        for n in range(3)
    ]
    await store.accept_event(Intake(event(), [run("r1")]))
    assert await store.save_run(await store.get_run("acme", "r1"), steps)
    assert [s.step_id for s in await store.list_steps("acme", "r1")] == ["a0", "a1", "a2"]
    assert [s.step_id for s in await store.workflow_steps("acme", "wf", 2)] == ["a2", "a1"]
    assert await store.list_steps("globex", "r1") == []


async def test_due_runs_and_active_versions(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.create_workflow(
        "acme", document("off", settings={"enabled": False}), None, publish=True
    )
    await store.add_version("acme", document(name="draft"), None, publish=False)
    assert [(v.workflow_id, v.version) for v in await store.active_versions("acme")] == [("wf", 1)]
    revision = await store.workflows_revision("acme")
    await store.set_enabled("acme", "off", enabled=True)
    assert await store.workflows_revision("acme") != revision
    soon, later = now(), now() + timedelta(hours=1)
    await store.accept_event(
        Intake(
            event(),
            [
                run("r1", due_at=soon),
                run("r2", due_at=later),
                run("r3", status=RunStatus.COMPLETED, due_at=soon),
            ],
        )
    )
    assert await store.due_runs(now() + timedelta(seconds=1), 10) == [("acme", "r1")]


async def test_armed_runs_are_every_timer_in_due_order_a_page_at_a_time(
    store: Store,
) -> None:
    soon, later = now(), now() + timedelta(days=3)
    await store.accept_event(
        Intake(
            event(),
            [
                run("r3", due_at=later),
                run("r1", due_at=soon),
                run("r2", due_at=soon),
                run("r4", status=RunStatus.COMPLETED, due_at=soon),
                run("r5", due_at=None),
                run("r6", status=RunStatus.RUNNING, due_at=soon),  # its lease's end, not a timer
            ],
        )
    )
    first = await store.armed_runs(None, 2)
    assert [(timer.tenant_id, timer.run_id) for timer in first] == [("acme", "r1"), ("acme", "r2")]
    assert abs(first[0].due_at - soon) < timedelta(milliseconds=1)  # BSON keeps milliseconds
    # Each with its record, read in the same call: the page is one read, not one per run.
    assert [(timer.run.run_id, timer.run.status) for timer in first if timer.run] == [
        ("r1", RunStatus.PENDING),
        ("r2", RunStatus.PENDING),
    ]
    rest = await store.armed_runs((first[-1].due_at, first[-1].run_id), 2)
    assert [timer.run_id for timer in rest] == ["r3"]
    assert abs(rest[0].due_at - later) < timedelta(milliseconds=1)
    assert rest[0].run is not None
    assert rest[0].run.due_at == rest[0].due_at


async def test_live_run_counts_span_tenants_and_skip_finished_runs(store: Store) -> None:
    await store.accept_event(
        Intake(
            event(),
            [
                run("r1"),
                run("r2", status=RunStatus.WAITING),
                run("r3", status=RunStatus.PAUSED),
                run("r4", status=RunStatus.COMPLETED),
                run("r5", status=RunStatus.FAILED),
            ],
        )
    )
    await store.accept_event(
        Intake(event("ev2", tenant_id="globex"), [run("r6", tenant_id="globex")])
    )
    assert await store.live_run_counts() == {
        RunStatus.PENDING: 2,
        RunStatus.WAITING: 1,
        RunStatus.PAUSED: 1,
    }


async def test_run_tallies_and_event_counts_over_a_period(store: Store) -> None:
    start = now()
    done: dict[str, Any] = {"status": RunStatus.COMPLETED, "active_seconds": 1.5}
    at = start.isoformat()
    # Failed, then retried to completion: it failed once all the same.
    retried = [
        {"at": at, "from": "running", "to": "failed", "reason": "step send failed"},
        {"at": at, "from": "failed", "to": "pending", "reason": "retried"},
        {"at": at, "from": "running", "to": "completed", "reason": "done"},
    ]
    await store.accept_event(
        Intake(
            event(),
            [
                run("r1", **done),
                run("r2", **done, history=retried),
                run("r3", status=RunStatus.FAILED, active_seconds=3.0),
                run("r4", "other"),
            ],
        )
    )
    await store.accept_event(
        Intake(event("ev2", tenant_id="globex"), [run("r5", tenant_id="globex")])
    )
    period = Period(start - timedelta(seconds=1), now() + timedelta(seconds=1))
    tallies = sorted(
        await store.run_tallies("acme", period, None), key=lambda t: (t.workflow_id, t.status)
    )
    assert tallies == [
        RunTally("other", RunStatus.PENDING, 1, 0.0),
        RunTally("wf", RunStatus.COMPLETED, 2, 3.0, failed_once=1),
        RunTally("wf", RunStatus.FAILED, 1, 3.0, failed_once=1),
    ]
    assert {t.workflow_id for t in await store.run_tallies("acme", period, "other")} == {"other"}
    assert await store.count_events("acme", period) == 1
    before = Period(start - timedelta(hours=2), start - timedelta(hours=1))
    assert await store.run_tallies("acme", before, None) == []
    assert await store.count_events("acme", before) == 0


async def test_added_runs_are_recorded_once_and_branches_stay_out_of_the_counts(
    store: Store,
) -> None:
    start = now()
    await store.accept_event(Intake(event(), [run("r1", status=RunStatus.WAITING)]))
    branch = {"run_id": "r1", "step": "fan", "branch": "a"}
    first = run("r1.0.a", parent=branch, listeners=[{"key": "k1", "on": "cancel"}])
    await store.add_runs([first, run("r1.0.b", parent=branch | {"branch": "b"})])
    again = run("r1.0.a", status=RunStatus.FAILED, parent=branch)
    await store.add_runs([again])
    assert (await store.get_run("acme", "r1.0.a")).status == RunStatus.PENDING
    assert (await store.get_run("acme", "r1.0.a")).parent == branch
    sub_run = run("r2", "other", parent={"run_id": "r1", "step": "go", "branch": None}, depth=1)
    await store.add_runs([sub_run])
    assert (await store.get_run("acme", "r2")).depth == 1
    period = Period(start - timedelta(seconds=1), now() + timedelta(seconds=1))
    tallies = {
        (t.workflow_id, t.status): t.count for t in await store.run_tallies("acme", period, None)
    }
    assert tallies == {("wf", RunStatus.WAITING): 1, ("other", RunStatus.PENDING): 1}
    assert await store.run_counts("acme") == {
        "wf": {RunStatus.WAITING: 1},
        "other": {RunStatus.PENDING: 1},
    }


# A value unlike the new run's for every field a checkpoint may change.
CHECKPOINTED: dict[str, Any] = {
    "pc": 3,
    "attempt": 2,
    "earlier_attempts": 3,
    "delay_served": True,
    "vars": {"code": "WELCOME10"},
    "outputs": {"a1": {"output": [1, 2]}},
    "active_seconds": 1.5,
    "error": {"message": "timed out"},
    "wait": {
        "step": "hold",
        "event": "paid",
        "match": {},
        "key": "paid|u1",
        "started_at": "2026-01-01T00:00:00+00:00",
        "since": "2026-01-01T00:00:00+00:00",
        "deadline": "2026-01-02T00:00:00+00:00",
    },
    "variants": {"subject": "long"},
    "loops": {"each": {"items": [{"sku": "A"}, {"sku": "B"}], "index": 1}},
    "join": {"step": "fan", "mode": "all", "count": None, "children": []},
    "forks": 1,
    "call_started": {"key": "r1:a1:1", "attempt": 1},
    "status": RunStatus.WAITING,
    "history": [
        {"at": "2026-01-01T00:00:00+00:00", "from": "pending", "to": "waiting", "reason": "x"}
    ],
}


async def test_a_checkpoint_keeps_every_field_it_may_change(store: Store) -> None:
    # The keys derive from the wait and the listeners; the times are set below.
    derived = {"wait_key", "listen_keys", "due_at", "updated_at"}
    assert set(CHECKPOINTED) == set(MUTABLE_RUN_FIELDS) - derived
    await store.accept_event(Intake(event(), [run("r1")]))
    stored = await store.get_run("acme", "r1")
    for name, value in CHECKPOINTED.items():
        setattr(stored, name, value)
    # Whole seconds: MongoDB keeps times to the millisecond.
    stored.due_at = stored.updated_at = now().replace(microsecond=0) + timedelta(hours=1)
    assert await store.save_run(stored)
    again = await store.get_run("acme", "r1")
    assert {name: getattr(again, name) for name in CHECKPOINTED} == CHECKPOINTED
    assert (again.due_at, again.updated_at) == (stored.due_at, stored.updated_at)


async def test_failed_runs_are_read_by_when_they_last_changed_across_tenants(
    store: Store,
) -> None:
    at = now()
    branch = {"run_id": "r0", "step": "fork", "branch": "a"}
    await store.add_runs(
        [
            run("old", status=RunStatus.FAILED, updated_at=at - timedelta(hours=2)),
            run("recent", status=RunStatus.FAILED, updated_at=at - timedelta(minutes=5)),
            run("gx", tenant_id="globex", status=RunStatus.FAILED, updated_at=at),
            run("done", status=RunStatus.COMPLETED, updated_at=at),
            run("part", status=RunStatus.FAILED, updated_at=at, parent=branch),
        ]
    )
    since, until = at - timedelta(hours=1), at + timedelta(seconds=1)
    found = await store.failed_runs(since, until, None, 10)
    assert [(one.tenant_id, one.run_id) for one in found] == [("acme", "recent"), ("globex", "gx")]
    assert await store.failed_runs(since, at - timedelta(minutes=10), None, 10) == []


async def test_failed_runs_are_read_page_by_page_oldest_change_first(store: Store) -> None:
    """The reconciler reads every failed run of its window, however many: pages in
    (updated at, run id) order, each after the last one read."""
    at = now()
    await store.add_runs(
        [
            run(run_id, status=RunStatus.FAILED, updated_at=at - timedelta(seconds=seconds))
            for run_id, seconds in (("c", 3), ("a", 1), ("b", 1), ("d", 2))
        ]
    )
    since, until = at - timedelta(minutes=1), at
    read, after = [], None
    while page := await store.failed_runs(since, until, after, 2):
        read.append([one.run_id for one in page])
        after = (page[-1].updated_at, page[-1].run_id)
    assert read == [["c", "d"], ["a", "b"]]
