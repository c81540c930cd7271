"""Events in: the runs they record, idempotency and business keys, caps, retention; on
every adapter."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from app.errors import NotFound
from app.models.retention import Kept
from app.models.run import RunStatus
from app.models.stats import Period
from app.store.protocol import Intake, Store
from tests.clock import now
from tests.store.records import claim, document, event, ids, run


async def test_an_accepted_event_records_its_runs(store: Store) -> None:
    accepted = await store.accept_event(Intake(event(), [run("r1"), run("r2", "other")]))
    assert not accepted.duplicate
    assert (accepted.event.run_ids, accepted.event.workflow_ids) == (["r1", "r2"], ["wf", "other"])
    stored = await store.get_event("acme", "ev1")
    assert (stored.run_ids, stored.user_id, stored.data) == (["r1", "r2"], "u1", {"plan": "pro"})
    loaded = await store.get_run("acme", "r1")
    assert (loaded.status, loaded.context["plan"], loaded.revision) == (RunStatus.PENDING, "pro", 0)


async def test_a_held_event_key_returns_the_original_event(store: Store) -> None:
    first = Intake(event("ev1", "k"), [run("r1")], event_claim=claim("event:k", "ev1"))
    await store.accept_event(first)
    again = Intake(event("ev2", "k"), [run("r2")], event_claim=claim("event:k", "ev2"))
    accepted = await store.accept_event(again)
    assert accepted.duplicate
    assert (accepted.event.event_id, accepted.event.run_ids) == ("ev1", ["r1"])
    with pytest.raises(NotFound):
        await store.get_run("acme", "r2")
    other_tenant = Intake(event("ev3", "k", "globex"), [], event_claim=claim("event:k", "ev3"))
    assert not (await store.accept_event(other_tenant)).duplicate


async def test_an_expired_key_is_taken_again(store: Store) -> None:
    await store.accept_event(Intake(event("ev1"), [], event_claim=claim("event:k", "ev1", -1)))
    accepted = await store.accept_event(
        Intake(event("ev2"), [], event_claim=claim("event:k", "ev2"))
    )
    assert not accepted.duplicate


async def test_business_keys_and_caps_skip_runs_with_a_reason(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    first = Intake(
        event("ev1"), [run("r1")], run_claims={"r1": claim("run:wf:o-1", "r1")}, caps={"wf": 2}
    )
    assert [r.run_id for r in (await store.accept_event(first)).runs] == ["r1"]
    same_order = Intake(
        event("ev2"), [run("r2")], run_claims={"r2": claim("run:wf:o-1", "r2")}, caps={"wf": 2}
    )
    skipped = await store.accept_event(same_order)
    assert skipped.runs == []
    assert "already started r1" in skipped.skipped["wf"]
    await store.accept_event(Intake(event("ev3"), [run("r3")], caps={"wf": 2}))
    capped = await store.accept_event(Intake(event("ev4"), [run("r4")], caps={"wf": 2}))
    assert capped.skipped == {"wf": "max_executions (2) reached"}


async def test_a_batch_is_accepted_in_order_and_sees_its_own_keys(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    results = await store.accept_events(
        [
            Intake(event("ev1", "k"), [run("r1")], event_claim=claim("event:k", "ev1")),
            Intake(event("ev2", "k"), [run("r2")], event_claim=claim("event:k", "ev2")),
            Intake(event("ev3"), [run("r3")], caps={"wf": 1}),
            Intake(event("ev4"), [run("r4")], caps={"wf": 1}),
        ]
    )
    assert [(r.event.event_id, r.duplicate) for r in results] == [
        ("ev1", False),
        ("ev1", True),
        ("ev3", False),
        ("ev4", False),
    ]
    assert [ids(r.runs) for r in results] == [["r1"], [], ["r3"], []]
    assert results[3].skipped == {"wf": "max_executions (1) reached"}
    assert (await store.get_run("acme", "r3")).status == RunStatus.PENDING
    assert await store.accept_events([]) == []


async def test_every_event_and_profile_of_a_large_batch_is_written(store: Store) -> None:
    # 347 events: rows are written a few hundred to a statement, then the rest in smaller ones.
    intakes = [
        Intake(replace(event(f"ev{n:03}"), user={"id": f"u{n % 345}", "n": n}), [])
        for n in range(347)
    ]
    await store.accept_events(intakes)
    stored = await store.get_event("acme", "ev346")
    assert (stored.user_id, stored.data) == ("u1", {"plan": "pro"})
    assert await store.count_events("acme", Period(now() - timedelta(days=1), now())) == 347
    twice = await store.get_profile("acme", "u1")
    assert (twice.event_count, twice.attributes) == (2, {"n": 346})
    once = await store.get_profile("acme", "u344")
    assert (once.event_count, once.attributes) == (1, {"n": 344})


async def test_a_capped_run_does_not_hold_its_business_key(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.accept_event(Intake(event("ev1"), [run("r1")], caps={"wf": 1}))
    capped = Intake(
        event("ev2"), [run("r2")], run_claims={"r2": claim("run:wf:o-1", "r2")}, caps={"wf": 1}
    )
    assert (await store.accept_event(capped)).skipped == {"wf": "max_executions (1) reached"}
    uncapped = Intake(event("ev3"), [run("r3")], run_claims={"r3": claim("run:wf:o-1", "r3")})
    assert [r.run_id for r in (await store.accept_event(uncapped)).runs] == ["r3"]


async def test_purge_drops_old_events_and_expired_keys(store: Store) -> None:
    await store.accept_event(Intake(event("old"), [], event_claim=claim("event:k", "old", -1)))
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    cutoff = now()
    await asyncio.sleep(0.01)
    await store.accept_event(Intake(event("new"), [run("r1")]))
    assert await store.purge_batch(Kept.EVENTS, cutoff, 100, None) == 1
    assert await store.purge_claims(now()) == 1
    with pytest.raises(NotFound):
        await store.get_event("acme", "old")
    assert (await store.get_event("acme", "new")).run_ids == ["r1"]
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING
    reused = await store.accept_event(
        Intake(event("again"), [], event_claim=claim("event:k", "again"))
    )
    assert not reused.duplicate


async def test_event_types_are_the_tenants_distinct_types_in_name_order_and_bounded(
    store: Store,
) -> None:
    typed = [("ev1", "user_signup"), ("ev2", "cart_updated"), ("ev3", "user_signup")]
    typed += [("ev4", "purchase_completed"), ("ev5", "cart_updated")]
    await store.accept_events([Intake(replace(event(id_), type=type_), []) for id_, type_ in typed])
    await store.accept_event(Intake(replace(event("ev6", tenant_id="globex"), type="secret"), []))

    assert await store.event_types("acme", 10) == [
        "cart_updated",
        "purchase_completed",
        "user_signup",
    ]
    assert await store.event_types("acme", 2) == ["cart_updated", "purchase_completed"]
    assert await store.event_types("globex", 10) == ["secret"]
    assert await store.event_types("initech", 10) == []
