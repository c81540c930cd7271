"""What an accepted event answers or ends: the waits keyed like it, the runs listening for
it (exits and goals), and the keys kept for later waits; on every adapter."""

import asyncio
from datetime import timedelta
from typing import Any

from app.models.run import EventRecord, Run, RunStatus
from app.store.protocol import Correlate, Intake, Store
from tests.clock import now
from tests.store.records import document, event, ids, run

WAITS_FOR_PURCHASE: dict[str, Any] = {
    "actions": [
        {
            "id": "w",
            "type": "wait_for_event",
            "data": {
                "event": "purchase_completed",
                "match": {"user.id": "{{user.id}}"},
                "timeout": 60,
            },
        },
    ]
}


def purchase(event_id: str, tenant_id: str = "acme") -> EventRecord:
    at = now()
    return EventRecord(tenant_id, event_id, "purchase_completed", {"id": "u1"}, {}, at, at)


def keyed(user: str) -> Correlate:
    """A stand-in for the engine's keys: the shape's paths and the user."""
    return lambda paths: f"{','.join(paths)}={user}"


def park(run: Run, key: str, seconds: float = 3600) -> None:
    at = now()
    run.status = RunStatus.WAITING
    run.due_at = at + timedelta(seconds=seconds)
    run.wait = {
        "step": "w",
        "event": "purchase_completed",
        "match": {"user.id": "u1"},
        "key": key,
        "started_at": at.isoformat(),
        "since": at.isoformat(),
        "deadline": run.due_at.isoformat(),
    }


async def parked_runs(store: Store, tenant_id: str = "acme", **keys: str) -> None:
    """Runs (id → correlation key) parked at the wait of a workflow that waits for purchases."""
    await store.create_workflow(tenant_id, document(**WAITS_FOR_PURCHASE), None, publish=True)
    runs = [run(run_id, tenant_id=tenant_id) for run_id in keys]
    await store.accept_event(Intake(event(tenant_id=tenant_id), runs))
    for run_id, key in keys.items():
        stored = await store.get_run(tenant_id, run_id)
        park(stored, key)
        assert await store.save_run(stored)


async def test_an_event_answers_the_waits_keyed_like_it_once(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1", r2="user.id=u2")
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["r1"]
    r1 = await store.get_run("acme", "r1")
    assert r1.wait is not None
    assert (r1.status, r1.wait["resolved"]["id"], r1.wait_key) == (RunStatus.WAITING, "p1", None)
    assert r1.due_at is not None
    assert r1.due_at <= now()
    again = await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    assert again.woken == []
    assert (await store.get_run("acme", "r2")).wait_key == "user.id=u2"


async def test_waits_are_answered_only_within_their_tenant(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1")
    await parked_runs(store, "globex", g1="user.id=u1")
    answered = await store.accept_event(Intake(purchase("p1", "globex"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["g1"]
    assert (await store.get_run("acme", "r1")).wait_key == "user.id=u1"


async def test_an_event_after_the_deadline_or_for_a_cancelled_run_answers_nothing(
    store: Store,
) -> None:
    await parked_runs(store, late="user.id=u1", gone="user.id=u1")
    late = await store.get_run("acme", "late")
    park(late, "user.id=u1", seconds=-1)
    gone = await store.get_run("acme", "gone")
    gone.status = RunStatus.CANCELLED
    assert await store.save_run(late)
    assert await store.save_run(gone)
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert answered.woken == []


async def test_a_paused_run_keeps_its_wait(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1")
    paused = await store.get_run("acme", "r1")
    paused.status = RunStatus.PAUSED
    assert await store.save_run(paused)
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["r1"]
    assert (await store.get_run("acme", "r1")).status == RunStatus.PAUSED


async def test_events_are_found_by_key_within_a_window(store: Store) -> None:
    await store.create_workflow("acme", document(**WAITS_FOR_PURCHASE), None, publish=True)
    before = now() - timedelta(seconds=1)
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    found = await store.find_event("acme", "user.id=u1", before, None)
    assert found is not None
    assert found.event_id == "p1"
    assert await store.find_event("acme", "user.id=u2", before, None) is None
    assert await store.find_event("globex", "user.id=u1", before, None) is None
    assert await store.find_event("acme", "user.id=u1", now() + timedelta(seconds=1), None) is None
    assert await store.find_event("acme", "user.id=u1", before, before) is None


async def test_an_event_no_workflow_waits_for_is_not_keyed(store: Store) -> None:
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert await store.find_event("acme", "user.id=u1", now() - timedelta(seconds=5), None) is None


LISTENS_FOR_PURCHASE: dict[str, Any] = {
    "settings": {"goal": {"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}}
}


def listening(run_id: str, on: str, key: str = "user.id=u1", **changes: Any) -> Run:
    heard = {"event": "purchase_completed", "match": {"user.id": "u1"}, "key": key, "on": on}
    return run(run_id, listeners=[heard], **changes)


async def test_exits_and_goals_act_on_the_runs_listening(store: Store) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(
        Intake(
            event(),
            [
                listening("cancel", "cancel"),
                listening("goal", "goal"),
                listening("exit", "goal_exit"),
                listening("other", "cancel", key="user.id=u2"),
                listening("done", "cancel", status=RunStatus.COMPLETED),
            ],
        )
    )
    bought = purchase("p1")
    answered = await store.accept_event(Intake(bought, [], correlate=keyed("u1")))
    assert answered.woken == []
    assert sorted(run.run_id for run in answered.ended) == ["cancel", "exit"]
    found = {r: await store.get_run("acme", r) for r in ("cancel", "goal", "exit", "other", "done")}
    assert {r: found[r].status for r in found} == {
        "cancel": RunStatus.CANCELLED,
        "goal": RunStatus.PENDING,
        "exit": RunStatus.COMPLETED,
        "other": RunStatus.PENDING,
        "done": RunStatus.COMPLETED,
    }
    assert found["cancel"].due_at is None
    assert found["cancel"].history[-1]["reason"] == "exit event purchase_completed (p1)"
    assert {r for r in found if found[r].converted} == {"goal", "exit"}
    converted = found["goal"].converted
    assert converted is not None
    assert converted["event_id"] == "p1"


async def test_a_run_started_earlier_in_a_batch_hears_a_later_event_of_it(store: Store) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    started = Intake(event(), [listening("cancel", "cancel"), listening("goal", "goal")])
    bought = Intake(purchase("p1"), [], correlate=keyed("u1"))
    _, answered = await store.accept_events([started, bought])
    assert [run.run_id for run in answered.ended] == ["cancel"]
    assert (await store.get_run("acme", "cancel")).status == RunStatus.CANCELLED
    assert (await store.get_run("acme", "goal")).converted is not None


async def test_a_goal_counts_once_and_no_save_undoes_it(store: Store) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(Intake(event(), [listening("r1", "goal")]))
    walked = await store.get_run("acme", "r1")
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    walked.status = RunStatus.RUNNING
    assert await store.save_run(walked)  # a walk that read the run before the goal came
    converted = (await store.get_run("acme", "r1")).converted
    assert converted is not None
    assert converted["event_id"] == "p1"


async def test_neither_the_event_that_starts_a_run_nor_another_tenants_ends_it(
    store: Store,
) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    bought = purchase("p1")
    own = listening("r1", "cancel", event_id="p1")
    await store.accept_event(Intake(bought, [own], correlate=keyed("u1")))
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING
    await store.create_workflow("globex", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(Intake(purchase("p2", "globex"), [], correlate=keyed("u1")))
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING
