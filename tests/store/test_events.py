"""The event log: events listed by type, user, idempotency key and time, newest first, with
what each did (runs started, workflows skipped and why, waits answered); on every adapter."""

from dataclasses import replace
from datetime import timedelta

from app.models.run import EventFilter, EventRecord
from app.models.workflow import Page
from app.store.protocol import Intake, Store
from tests.clock import now
from tests.store.records import claim, document, event, run
from tests.store.test_waits import keyed, parked_runs, purchase


def sent(
    event_id: str, type: str, user_id: str | int | None, key: str | None = None
) -> EventRecord:
    user = {} if user_id is None else {"id": user_id}
    return replace(event(event_id, key), type=type, user=user)


def listed(found: list[EventRecord]) -> list[str]:
    return [one.event_id for one in found]


async def test_events_are_listed_newest_first_by_each_filter(store: Store) -> None:
    for one in (
        sent("ev_1", "user_signup", "u1", "k1"),
        sent("ev_2", "purchase", "u2"),
        sent("ev_3", "user_signup", 42),
        sent("ev_4", "user_signup", None),
        replace(sent("ev_x", "user_signup", "u1"), tenant_id="globex"),
    ):
        await store.accept_event(Intake(one, []))
    every = await store.list_events("acme", EventFilter(), Page())
    assert listed(every) == ["ev_4", "ev_3", "ev_2", "ev_1"]
    by_type = await store.list_events("acme", EventFilter(type="user_signup"), Page())
    assert listed(by_type) == ["ev_4", "ev_3", "ev_1"]
    assert listed(await store.list_events("acme", EventFilter(user_id="u1"), Page())) == ["ev_1"]
    assert listed(await store.list_events("acme", EventFilter(user_id="42"), Page())) == ["ev_3"]
    by_key = await store.list_events("acme", EventFilter(idempotency_key="k1"), Page())
    assert listed(by_key) == ["ev_1"]
    first = await store.list_events("acme", EventFilter(), Page(limit=2))
    assert listed(first) == ["ev_4", "ev_3"]
    rest = await store.list_events("acme", EventFilter(), Page(limit=2, after="ev_3"))
    assert listed(rest) == ["ev_2", "ev_1"]


async def test_events_are_listed_by_the_time_they_were_received(store: Store) -> None:
    at = now()
    for event_id, hours in (("ev_old", 5), ("ev_mid", 2), ("ev_new", 0)):
        received = at - timedelta(hours=hours)
        await store.accept_event(
            Intake(replace(event(event_id), received_at=received, timestamp=received), [])
        )
    window = EventFilter(since=at - timedelta(hours=3), until=at - timedelta(hours=1))
    assert listed(await store.list_events("acme", window, Page())) == ["ev_mid"]
    since = EventFilter(since=at - timedelta(hours=3))
    assert listed(await store.list_events("acme", since, Page())) == ["ev_new", "ev_mid"]


async def test_an_event_keeps_what_it_skipped_and_why(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.accept_event(
        Intake(event("ev1"), [run("r1")], run_claims={"r1": claim("run:wf:o-1", "r1")})
    )
    decided = {"picky": "trigger conditions not met"}
    again = Intake(
        event("ev2"), [run("r2")], run_claims={"r2": claim("run:wf:o-1", "r2")}, skipped=decided
    )
    accepted = await store.accept_event(again)
    stored = await store.get_event("acme", "ev2")
    assert stored.skipped == accepted.skipped
    assert stored.skipped["picky"] == "trigger conditions not met"
    assert "already started r1" in stored.skipped["wf"]
    assert stored.run_ids == []


async def test_an_event_keeps_the_waits_it_answered(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1", r2="user.id=u2")
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    stored = await store.get_event("acme", "p1")
    assert (stored.answered, stored.ended) == (["r1"], [])
