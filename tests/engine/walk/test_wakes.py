"""Wakes of waiting runs through the API, a real arq worker, a real Redis and SQLite: an
answering event, an approval's decision, a concurrency slot given back and a branch's end
each bring the wait's one timer forward instead of arming a resume beside it, a wake that
comes while the run parks (or while the reconciler rearms) is not lost, and a decision or
variables written to a parked run as a stray walk reads it are kept."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from arq.utils import timestamp_ms

from app.engine.flow.queue import ArqQueue
from app.engine.redis_keys import RESUMES
from app.engine.walk.jobs import rearm, stop_gracefully
from app.models.run import Run
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from app.worker import create_worker
from tests.clock import ShiftedClock
from tests.conftest import send, worker_running
from tests.engine.flow.test_concurrency import PER_SITE, held_settings, site_run
from tests.engine.walk.test_retry_now import redis_known, settled
from tests.engine.walk.test_runs import create, drain_until, run_of, workflow
from tests.waiting import until

HOUR = 3600
PAID = {
    "id": "paid",
    "type": "wait_for_event",
    "data": {"event": "purchase", "match": {"user.id": "{{ user.id }}"}, "timeout": HOUR},
}
AFTER = {"id": "after", "type": "log"}


async def timers_of(resources: Resources, run_id: str) -> dict[str, float]:
    """The run's resumes in Redis, due or not, claimed or not: purpose → score (ms)."""
    assert resources.engine is not None
    members = await resources.engine.queue.pool.zrange(RESUMES, 0, -1, withscores=True)
    decoded = [(orjson.loads(member), score) for member, score in members]
    return {purpose: score for (_, run, purpose), score in decoded if run == run_id}


async def timers_left(resources: Resources, run_id: str) -> dict[str, float]:
    """The run's resumes but the reconciler's: a worker's first pass arms one for every run
    due as it starts, which the worker that stopped as the run completed may leave behind
    (the next worker finds nothing to do)."""
    timers = await timers_of(resources, run_id)
    return {purpose: score for purpose, score in timers.items() if purpose != f"{run_id}:reconcile"}


async def one_timer_brought_forward(resources: Resources, run_id: str, timer: str) -> None:
    """The run has the one timer it had, now due: not a second resume beside it."""
    timers = await timers_left(resources, run_id)
    assert list(timers) == [timer]
    assert timers[timer] <= timestamp_ms()


async def ended_with_no_timer_left(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    run_id: str,
    statuses: frozenset[str] = frozenset({"completed"}),
) -> None:
    """Walk the run with a real worker until it is in one of ``statuses`` with none of its
    timers left. The worker's first reconcile pass arms a resume for the run (due as the
    worker starts) beside the run's own timer: whichever of the two is claimed while the
    other's walk holds the run comes back a moment later, to find nothing to do; a worker
    stopped as the run ended left it armed. One armed for later is never walked, and fails
    this."""
    seen: list[str] = []

    async def ended() -> bool:
        status = (await run_of(client, run_id))["status"]
        left = await timers_left(resources, run_id)
        seen[:] = [f"run {run_id} is {status}, its timers {sorted(left)}"]
        return status in statuses and not left

    async with worker_running(settings):
        await until(ended, lambda: seen[0])


async def parked(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, step: dict[str, Any]
) -> tuple[str, str]:
    """A run waiting an hour at ``step``, and the id of the one timer armed for it."""
    await create(client, workflow([step, AFTER]))
    await redis_known(resources)
    run_id: str = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    (timer,) = await timers_left(resources, run_id)
    return run_id, timer


async def test_an_answering_event_brings_the_waits_deadline_forward(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    run_id, deadline = await parked(client, settings, resources, PAID)
    await send(client, {"type": "purchase", "user": {"id": "u1"}})
    await one_timer_brought_forward(resources, run_id, deadline)
    await ended_with_no_timer_left(client, settings, resources, run_id)
    assert [step["step_id"] for step in (await run_of(client, run_id))["steps"]] == [
        "paid",
        "after",
    ]


async def test_a_decision_brings_the_approvals_deadline_forward(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    approval = {"id": "ok", "type": "approval", "data": {"timeout": HOUR}}
    run_id, deadline = await parked(client, settings, resources, approval)
    decided = await client.post(f"/api/approvals/{run_id}~ok~0/approve")
    assert decided.status_code == 200, decided.text
    await one_timer_brought_forward(resources, run_id, deadline)
    await ended_with_no_timer_left(client, settings, resources, run_id)


async def held_behind(
    client: httpx.AsyncClient, held_only: Settings, resources: Resources
) -> tuple[str, str, str]:
    """A run in its delay holding the site's one slot, and a second run held behind it:
    their ids and the held run's one timer, its recheck."""
    await create(client, PER_SITE)
    await redis_known(resources)
    first = await site_run(client, "s1", slow=True)
    await drain_until(client, held_only, [first], {"waiting"})  # in its delay, with the slot
    second = await site_run(client, "s1")
    await drain_until(client, held_only, [second], {"waiting"})
    (recheck,) = await timers_left(resources, second)
    return first, second, recheck


async def test_a_slot_given_back_brings_the_held_runs_recheck_forward(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    held_only = held_settings(settings)
    first, second, recheck = await held_behind(client, held_only, resources)
    assert (await client.post(f"/api/runs/{first}/cancel")).status_code == 200
    await one_timer_brought_forward(resources, second, recheck)
    await ended_with_no_timer_left(client, held_only, resources, second)


async def test_a_command_on_a_held_run_moves_its_one_recheck(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    _, second, recheck = await held_behind(client, held_settings(settings), resources)
    # Paused, the held run has no timer; resumed, the same one again, not a second.
    for command, timers in (("pause", []), ("resume", [recheck])):
        answer = await client.post(f"/api/runs/{second}/{command}")
        assert answer.status_code == 200, answer.text
        assert list(await timers_left(resources, second)) == timers, command


async def test_a_held_run_paused_and_resumed_is_woken_when_a_slot_is_given_back(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # Held runs check again only after an hour, the reconciler half an hour after a due
    # time: a run going on at once was woken.
    slow = held_settings(settings).model_copy(update={"reconcile_grace": HOUR // 2})
    first, second, _ = await held_behind(client, slow, resources)
    # The pause gave the held run's place in line back; resumed, it asks for a slot again
    # at once and, refused, waits in line anew (its next check an hour on).
    for command in ("pause", "resume"):
        answer = await client.post(f"/api/runs/{second}/{command}")
        assert answer.status_code == 200, answer.text

    async def queued_anew() -> Run | None:
        run = await resources.store.get_run("acme", second)
        anew = run.due_at is not None and run.due_at > clock.now() + timedelta(minutes=30)
        return run if anew else None

    async with worker_running(slow):
        run = await until(queued_anew, "the resumed run queued anew, an hour on")
    assert run.status == "waiting"
    assert str(run.wait_reason).startswith(f"queued behind run {first}")
    assert (await client.post(f"/api/runs/{first}/cancel")).status_code == 200
    await drain_until(client, slow, [second], {"completed"})


async def test_a_slot_given_back_as_a_walk_holds_the_run_again_is_not_lost(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Held runs check again only after an hour, the reconciler half an hour after a due
    # time (and its first pass takes only runs due before the worker started): a run going
    # on at once was woken.
    slow = held_settings(settings).model_copy(update={"reconcile_grace": HOUR // 2})
    first, second, recheck = await held_behind(client, slow, resources)
    # Resumed, the held run is due now and a walk asks for the slot again; refused, it holds
    # the run again. Just before that walk arms the recheck (an hour on), the slot is given
    # back (the holder cancelled through the API), which wakes the run: saves it due now
    # and brings the recheck forward. The arming then puts it back, and the save of the
    # hold is refused: the recheck must still fall due now. Fault injection, since no real
    # race can be had on demand.
    arm = ArqQueue.advance
    given_back: list[str] = []

    async def given_back_first(
        queue: ArqQueue, tenant_id: str, run_id: str, job_id: str, at: Any
    ) -> int:
        later = at is not None and at > clock.now() + timedelta(minutes=30)
        if job_id == recheck and later and not given_back:
            given_back.append(job_id)
            cancelled = await client.post(f"/api/runs/{first}/cancel")
            assert cancelled.status_code == 200, cancelled.text
        return await arm(queue, tenant_id, run_id, job_id, at)

    monkeypatch.setattr(ArqQueue, "advance", given_back_first)
    async with worker_running(slow):
        for command in ("pause", "resume"):
            answer = await client.post(f"/api/runs/{second}/{command}")
            assert answer.status_code == 200, answer.text
        run = await settled(resources, second, set())
    assert given_back == [recheck]
    assert run.status == "completed"


async def test_a_command_on_a_run_debounced_at_admission_moves_its_deferred_start(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await create(client, workflow([AFTER], debounce={"period": HOUR}))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    start = f"{run_id}:start"
    assert list(await timers_left(resources, run_id)) == [start]
    for command, timers in (("pause", []), ("resume", [start])):
        answer = await client.post(f"/api/runs/{run_id}/{command}")
        assert answer.status_code == 200, answer.text
        assert list(await timers_left(resources, run_id)) == timers, command


# The ids the releases before 5554d22 armed a waiting run's resumes under: the walker's
# deadline of an event wait, the ingest's wake, a decision's, a held run's recheck, a wake of
# a held run. Redis may still hold such timers when the new release starts.
OLD_IDS = (
    "{run}:0:event:1:{revision}",
    "{run}:event:evt_before",
    "{run}:approval:{revision}",
    "{run}:held:{revision}",
    "{run}:wake:{revision}",
)


async def walked(resources: Resources, run_id: str, timers: list[str]) -> None:
    """Until none of ``timers`` is armed any more: a worker walked each and let it go."""

    async def let_go() -> bool:
        return not set(timers) & set(await timers_of(resources, run_id))

    await until(let_go, f"still armed: {timers}")


async def test_timers_armed_under_the_old_ids_fire_and_find_nothing_to_do(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    run_id, deadline = await parked(client, settings, resources, PAID)
    waiting = await resources.store.get_run("acme", run_id)
    old = [id.format(run=run_id, revision=waiting.revision) for id in OLD_IDS]
    assert resources.engine is not None
    queue = resources.engine.queue

    async with worker_running(settings):
        # Due now while the run waits (as at their time): each walk finds it not due.
        for timer in old:
            await queue.advance("acme", run_id, timer, None)
        await walked(resources, run_id, old)
        assert (await resources.store.get_run("acme", run_id)).revision == waiting.revision
        assert list(await timers_left(resources, run_id)) == [deadline]

        # Due beside the wake of an answer: the run goes on once, and once only.
        for timer in old:
            await queue.advance("acme", run_id, timer, None)
        await send(client, {"type": "purchase", "user": {"id": "u1"}})
        await walked(resources, run_id, [*old, deadline])
    run = await run_of(client, run_id)
    assert run["status"] == "completed"
    assert [step["step_id"] for step in run["steps"]] == ["paid", "after"]
    assert [turn["to"] for turn in run["history"]] == ["running", "waiting", "running", "completed"]
    assert await timers_left(resources, run_id) == {}


async def test_a_wake_brings_a_timer_forward_and_a_walk_under_it_is_followed_by_another(
    resources: Resources, clock: ShiftedClock
) -> None:
    assert resources.engine is not None
    queue = resources.engine.queue
    later = clock.now() + timedelta(hours=1)
    armed = await queue.advance("acme", "r1", "r1:0:event:1", later)
    await queue.wake("acme", "r1", "r1:0:event:1")
    woken = await timers_of(resources, "r1")
    assert woken["r1:0:event:1"] <= timestamp_ms()
    await queue.take_back("acme", "r1", "r1:0:event:1", armed)  # woken since: it stays
    assert await timers_of(resources, "r1") == woken

    # Woken while a worker walks under it: its walk's end leaves it for one more walk.
    [claim] = (await queue.resumes.claim(10, seconds=60, lease=60)).claims
    await queue.wake("acme", "r1", "r1:0:event:1")
    await queue.resumes.finish(claim)
    assert list(await timers_of(resources, "r1")) == ["r1:0:event:1"]

    # A timer due sooner than the wake keeps its time.
    await queue.resumes.arm("acme", "r2", "r2:held", 1000)
    await queue.wake("acme", "r2", "r2:held")
    assert await timers_of(resources, "r2") == {"r2:held": 1000}


class AnsweredAsItParks:
    """The real store, except that the event a run parks for is sent (through the API, so
    the ingest answers the wait and wakes its timer) just after the walk looked for it and
    found none: fault injection, since no real race can be had on demand."""

    def __init__(self, store: Store, client: httpx.AsyncClient) -> None:
        self._store = store
        self._client = client
        self.sent = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def find_event(self, *args: Any) -> Any:
        found = await self._store.find_event(*args)
        if found is None and not self.sent:
            self.sent = True
            await send(self._client, {"type": "purchase", "user": {"id": "u1"}})
        return found


async def test_an_event_answering_a_wait_as_it_parks_wakes_it(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    # The reconciler would take the run on only 30 min after the answer: the wake does it.
    slow_reconciler = settings.model_copy(update={"reconcile_grace": HOUR // 2})
    await create(client, workflow([PAID, AFTER]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    store = AnsweredAsItParks(resources.store, client)
    worker = create_worker(slow_reconciler, store=store, poll_delay=0.01, handle_signals=False)
    running = asyncio.create_task(worker.async_run())
    try:
        run = await settled(resources, run_id, set())
    finally:
        await stop_gracefully(worker, running)
    assert store.sent
    assert run.status == "completed"
    assert run.outputs["paid"]["output"]["event"]["type"] == "purchase"
    assert await timers_left(resources, run_id) == {}


class WrittenAsItIsPickedUp:
    """The real store, except that just before a walk's first save of a parked run (its
    pick-up) a decision and a change of variables are made through the API: a stray walk
    (a timer re-armed by the reconciler) meets what a caller wrote to the run it had read.
    Fault injection, since no real race can be had on demand."""

    def __init__(
        self, store: Store, client: httpx.AsyncClient, run_id: str, *, decide: bool = True
    ) -> None:
        self._store = store
        self._client = client
        self._run_id = run_id
        self._decide = decide
        self.written = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def save_run(self, run: Run, *args: Any) -> bool:
        if run.run_id == self._run_id and run.status == "running" and not self.written:
            self.written = True
            if self._decide:
                decided = await self._client.post(f"/api/approvals/{self._run_id}~ok~0/approve")
                assert decided.status_code == 200, decided.text
            changed = await self._client.patch(
                f"/api/runs/{self._run_id}/variables", json={"note": "from the caller"}
            )
            assert changed.status_code == 200, changed.text
        saved: bool = await self._store.save_run(run, *args)
        return saved


async def walked_past_the_deadline(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
    *,
    decide: bool,
) -> Run:
    """A run parked at an approval, walked past its deadline by the reconciler's first pass
    only (its own timer is an hour away on the machine's clock, the reconciler's later
    passes half an hour after a due time): its walk reads it undecided, and its first save
    meets the variables (and the decision, if ``decide``) written since. The run as it is
    once finished, or as it was left."""
    approval = {"id": "ok", "type": "approval", "data": {"timeout": HOUR}}
    run_id, _ = await parked(client, settings, resources, approval)
    clock.advance(HOUR + 60)
    store = WrittenAsItIsPickedUp(resources.store, client, run_id, decide=decide)
    slow_reconciler = settings.model_copy(update={"reconcile_grace": HOUR // 2})
    worker = create_worker(
        slow_reconciler, store=store, clock=clock, poll_delay=0.01, handle_signals=False
    )
    running = asyncio.create_task(worker.async_run())
    try:
        run = await settled(resources, run_id, set())
    finally:
        await stop_gracefully(worker, running)
    assert store.written
    return run


async def test_a_stray_walk_keeps_a_decision_and_variables_written_as_it_picks_up(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    run = await walked_past_the_deadline(client, settings, resources, clock, decide=True)
    assert run.status == "completed"
    assert run.outputs["ok"]["output"]["decision"] == "approved"
    assert run.vars == {"note": "from the caller"}


async def test_a_stray_walk_meeting_variables_set_as_it_picks_up_goes_on(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # Variables set through the API move nothing and wake nothing: the walk that met them
    # goes on with them, rather than leave the run due with no timer.
    run = await walked_past_the_deadline(client, settings, resources, clock, decide=False)
    assert run.status == "completed"
    assert run.outputs["ok"]["output"]["decision"] == "timed_out"
    assert run.vars == {"note": "from the caller"}
    assert [turn["reason"] for turn in run.history[-3:]] == [
        "variables changed: note",
        "picked up",
        "all actions done",
    ]


async def test_a_branch_that_ends_brings_its_parents_join_recheck_forward(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    fan = {
        "id": "fan",
        "type": "parallel",
        "data": {"join": "all"},
        "branches": [{"name": name, "actions": [{**PAID, "id": name}]} for name in "ab"],
    }
    await create(client, workflow([fan, AFTER]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    branches = [child["run_id"] for child in (await run_of(client, run_id))["join"]["children"]]
    await drain_until(client, settings, branches, {"waiting"})
    (recheck,) = await timers_left(resources, run_id)
    # The branch ends (cancelled here, with no worker running): its parent's one recheck
    # falls due now, with no wake beside it.
    assert (await client.post(f"/api/runs/{branches[0]}/cancel")).status_code == 200
    await one_timer_brought_forward(resources, run_id, recheck)
    await ended_with_no_timer_left(
        client, settings, resources, run_id, frozenset({"completed", "failed"})
    )


async def test_a_rearm_that_read_the_run_before_its_wake_does_not_put_the_wake_back(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # The reconciler's rearm (a Redis taken for new) read the parked run, due in an hour; a
    # wake (an answer, a decision, a child's end) then brought its timer forward; the
    # rearm's arming of that same timer comes last, and must leave it due now.
    run_id, deadline = await parked(client, settings, resources, PAID)
    assert resources.engine is not None
    queue = resources.engine.queue
    await queue.wake("acme", run_id, deadline)
    assert await rearm(resources.store, queue, clock.now()) >= 1
    await one_timer_brought_forward(resources, run_id, deadline)
