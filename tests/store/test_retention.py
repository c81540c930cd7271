"""Retention: each tenant's own days, and the retention job's bounded deletes by kind; on
every adapter."""

from dataclasses import replace
from datetime import timedelta

from app.models.retention import Kept, Retention
from app.models.run import RunFilter, RunStatus
from app.models.stats import Period
from app.models.workflow import Page
from app.store.protocol import Intake, Store
from tests.clock import now
from tests.store.records import event, run
from tests.store.test_erasure import step
from tests.store.test_outbox import kept


async def test_a_tenants_retention_is_kept_and_listed(store: Store) -> None:
    assert await store.get_retention("acme") is None
    mine = Retention(7, 90, None, 365)
    await store.set_retention("acme", mine)
    await store.set_retention("acme", replace(mine, events_days=14))
    await store.set_retention("globex", mine)
    assert await store.get_retention("acme") == replace(mine, events_days=14)
    assert await store.retentions() == {"acme": replace(mine, events_days=14), "globex": mine}


async def test_purges_take_old_records_of_a_kind_a_batch_at_a_time(store: Store) -> None:
    for n in range(3):
        await store.accept_event(Intake(event(f"ev{n}"), []))
    await store.accept_event(Intake(event("gx", tenant_id="globex"), []))
    later = now() + timedelta(seconds=1)
    assert await store.purge_batch(Kept.EVENTS, later, 2, None, ["globex"]) == 2
    assert await store.purge_batch(Kept.EVENTS, later, 2, None, ["globex"]) == 1
    assert await store.purge_batch(Kept.EVENTS, later, 2, None, ["globex"]) == 0
    assert await store.purge_batch(Kept.EVENTS, now() - timedelta(days=1), 2, "globex") == 0
    assert (await store.get_event("globex", "gx")).event_id == "gx"
    assert await store.purge_batch(Kept.EVENTS, later, 2, "globex") == 1


async def test_only_finished_runs_are_purged_with_their_steps(store: Store) -> None:
    await store.add_runs([run("r1", status=RunStatus.COMPLETED), run("r2")])
    r1 = await store.get_run("acme", "r1")
    assert await store.save_run(r1, [step("r1")])
    await store.add_outbox_message(kept("acme", "r1:s1:0", run_id="r1"))
    later = now() + timedelta(seconds=1)
    assert await store.purge_batch(Kept.RUNS, later, 10, "acme") == 1
    assert [r.run_id for r in await store.list_runs("acme", RunFilter(), Page())] == ["r2"]
    assert await store.list_steps("acme", "r1") == []
    assert await store.purge_batch(Kept.OUTBOX, later, 10, "acme") == 1


async def test_purged_runs_and_events_are_still_counted_by_day(store: Store) -> None:
    at = now()
    await store.add_runs(
        [
            run("r1", status=RunStatus.COMPLETED, active_seconds=2.0),
            run("r2", status=RunStatus.COMPLETED, active_seconds=3.0),
            run("r3", status=RunStatus.FAILED),
            run(
                "b1",
                status=RunStatus.COMPLETED,
                parent={"run_id": "r1", "step": "p", "branch": "a"},
            ),
        ]
    )
    for n in range(2):
        await store.accept_event(Intake(event(f"ev{n}"), []))
    day = Period(at - timedelta(days=1), at + timedelta(days=1))
    before = sorted(
        (t.status, t.count, t.active_seconds) for t in await store.run_tallies("acme", day, None)
    )
    later = at + timedelta(seconds=1)
    assert await store.purge_batch(Kept.RUNS, later, 2, "acme") == 2
    assert await store.purge_batch(Kept.RUNS, later, 2, "acme") == 2
    assert await store.purge_batch(Kept.EVENTS, later, 10, "acme") == 2
    assert await store.list_runs("acme", RunFilter(), Page()) == []
    after = sorted(
        (t.status, t.count, t.active_seconds) for t in await store.run_tallies("acme", day, None)
    )
    assert after == before == [(RunStatus.COMPLETED, 2, 5.0), (RunStatus.FAILED, 1, 0.0)]
    assert await store.count_events("acme", day) == 2
    assert await store.run_tallies("acme", day, "other") == []
    assert await store.count_events("globex", day) == 0
