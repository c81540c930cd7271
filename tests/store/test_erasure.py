"""Erasing a person: their profile, memberships, events, runs, steps and outbox messages,
and nobody else's; on every adapter."""

from dataclasses import replace

import pytest

from app.errors import NotFound
from app.models.profile import Erased, Touch
from app.models.run import StepRecord, StepStatus
from app.store.protocol import Intake, Store
from tests.clock import now
from tests.store.records import event, run
from tests.store.test_outbox import kept

EMAIL = {"id": "u1", "email": "ada@example.com"}


def step(run_id: str) -> StepRecord:
    at = now()
    return StepRecord(
        "acme",
        run_id,
        "wf",
        "mail",
        "send_email",
        1,
        StepStatus.COMPLETED,
        at,
        at,
        f"{run_id}:mail:0",
        {"recipient": "ada@example.com"},
        {"id": "m1"},
    )


async def test_a_person_is_erased_from_every_record_and_no_one_else(store: Store) -> None:
    mine = replace(event("ev1"), user=EMAIL, data={"email": "ada@example.com"})
    theirs = replace(event("ev2"), user={"id": "u2"})
    await store.accept_event(Intake(mine, [run("r1", vars={"to": "ada@example.com"})]))
    await store.accept_event(Intake(theirs, [run("r2", user_id="u2")]))
    r1 = await store.get_run("acme", "r1")
    assert await store.save_run(r1, [step("r1")])
    await store.add_outbox_message(kept("acme", "r1:mail:0", run_id="r1"))
    await store.add_outbox_message(kept("acme", "r2:mail:0", run_id="r2"))
    await store.add_to_campaign("acme", "vip", "u1", now(), None)
    await store.add_to_campaign("acme", "vip", "u2", now(), None)
    await store.update_profile("globex", Touch("u1", EMAIL, now()))

    erased = await store.erase_user("acme", "u1")
    assert erased == Erased(profiles=1, memberships=1, events=1, runs=1, steps=1, outbox=1)
    gone = await store.get_event("acme", "ev1")
    assert (gone.user, gone.data, gone.run_ids) == ({}, {}, ["r1"])
    r1 = await store.get_run("acme", "r1")
    assert (r1.user_id, r1.context, r1.vars) == (None, {}, {})
    (record,) = await store.list_steps("acme", "r1")
    assert (record.input, record.output, record.step_id) == (None, None, "mail")
    with pytest.raises(NotFound):
        await store.get_profile("acme", "u1")
    assert (await store.get_profile("globex", "u1")).attributes["email"] == "ada@example.com"
    assert (await store.get_run("acme", "r2")).user_id == "u2"
    assert (await store.get_event("acme", "ev2")).user == {"id": "u2"}
    assert (await store.get_campaign("acme", "vip")).members == 1
    again = await store.erase_user("acme", "u1")
    assert (again.profiles, again.events, again.runs) == (0, 0, 0)
