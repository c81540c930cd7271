"""Control commands on a run waiting out a timer, through a real arq worker, a real Redis and
a webhook to a local HTTP server: retry on a run waiting to retry a failed step makes the
attempt due now; each command moves the wait's one timer, or takes it back."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from arq.utils import timestamp_ms
from pytest_httpserver import HTTPServer

from app.engine.redis_keys import RESUMES
from app.engine.walk.jobs import stop_gracefully
from app.models.run import Run
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from app.worker import create_worker
from tests.clock import ShiftedClock
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create, drain_until, parked_before_a_delay, run_of, workflow
from tests.waiting import until

BACKOFF = 600  # seconds: the automatic retry is ten minutes away, the test far shorter


async def timers_later(resources: Resources) -> list[bytes]:
    """The timers armed to fall due after now. Left out: the reconciler's resumes of runs it
    found due, which a worker that stopped as the run completed may leave, due now or put
    back a moment for a walk that held the run; the next worker finds nothing to do."""
    assert resources.engine is not None
    later = f"({timestamp_ms()}"
    members: list[bytes] = await resources.engine.queue.pool.zrangebyscore(RESUMES, later, "+inf")
    return [member for member in members if not member.endswith(b':reconcile"]')]


async def redis_known(resources: Resources) -> None:
    """Mark the test's flushed Redis as one the service has used: else a worker's first
    reconcile, if its turn comes once the run waits, arms its timer again under an id of
    its own (Redis lost its data, as far as it knows), a second timer beside the walker's."""
    assert resources.engine is not None
    await resources.engine.queue.forgot()


async def failing_once(
    client: httpx.AsyncClient, resources: Resources, httpserver: HTTPServer
) -> str:
    """A run, not walked yet, whose webhook fails at its first call (the next succeeds),
    retried BACKOFF later."""
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_json({"ok": True})
    step = {
        "id": "hook",
        "type": "webhook_call",
        "data": {"url": httpserver.url_for("/hook"), "json": {"n": 1}},
        "retry": {"max_attempts": 3, "backoff": BACKOFF},
    }
    await create(client, workflow([step]))
    await redis_known(resources)
    run_id: str = (await send(client, {"type": "signup"}))["run_ids"][0]
    return run_id


async def waiting_to_retry(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, httpserver: HTTPServer
) -> tuple[str, Settings]:
    """A run whose webhook failed once (the next call succeeds), waiting BACKOFF to retry
    it; with the settings of a worker allowed to call the local server."""
    run_id = await failing_once(client, resources, httpserver)
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_until(client, allowed, [run_id], {"waiting"})
    return run_id, allowed


async def test_retry_brings_a_waiting_retry_forward_and_sends_the_step_twice_in_all(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, httpserver: HTTPServer
) -> None:
    run_id, allowed = await waiting_to_retry(client, settings, resources, httpserver)
    waiting = await run_of(client, run_id)
    assert waiting["history"][-1]["reason"] == "retry"
    due_in = datetime.fromisoformat(waiting["due_at"]) - datetime.now(UTC)
    assert due_in > timedelta(seconds=BACKOFF - 60)

    retried = await client.post(f"/api/runs/{run_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    await drain_until(client, allowed, [run_id], {"completed"})
    run = await run_of(client, run_id)
    assert [(s["attempt"], s["status"]) for s in run["steps"]] == [
        (1, "retrying"),
        (2, "completed"),
    ]
    assert len({s["idempotency_key"] for s in run["steps"]}) == 1

    # The automatic retry's own timer was the one brought forward: none is left to fire
    # when its backoff would have run out.
    assert await timers_later(resources) == []
    assert len(httpserver.log) == 2


async def test_retry_refuses_a_run_waiting_for_a_delay(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock
) -> None:
    run_id = await parked_before_a_delay(client, settings, clock)
    refused = await client.post(f"/api/runs/{run_id}/retry")
    assert refused.status_code == 409
    assert "it is waiting, its wait: delay" in refused.json()["error"]["message"]
    assert (await run_of(client, run_id))["status"] == "waiting"


async def test_a_run_paused_and_resumed_while_waiting_to_retry_can_still_retry_now(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, httpserver: HTTPServer
) -> None:
    run_id, allowed = await waiting_to_retry(client, settings, resources, httpserver)
    for command in ("pause", "resume"):
        answer = await client.post(f"/api/runs/{run_id}/{command}")
        assert answer.status_code == 200, answer.text
    resumed = await run_of(client, run_id)
    assert (resumed["status"], resumed["wait_reason"]) == ("waiting", "retry")

    retried = await client.post(f"/api/runs/{run_id}/retry")
    assert retried.status_code == 200, retried.text
    await drain_until(client, allowed, [run_id], {"completed"})
    assert len(httpserver.log) == 2
    # The history says what was done, not where: the console's clicks come through the API.
    reasons = [h["reason"] for h in (await run_of(client, run_id))["history"]]
    assert {"paused", "resumed", "retry brought forward"} <= set(reasons)
    # The resume re-armed the walker's timer, which the retry then brought forward.
    assert await timers_later(resources) == []


async def test_a_wait_paused_or_cancelled_leaves_no_timer_and_a_resume_arms_it_again(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    hour_later = {"id": "later", "type": "log", "delay": 3600}
    await create(client, workflow([{"id": "first", "type": "log"}, hour_later]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    assert len(await timers_later(resources)) == 1

    for command, timers in (("pause", 0), ("resume", 1), ("cancel", 0)):
        answer = await client.post(f"/api/runs/{run_id}/{command}")
        assert answer.status_code == 200, answer.text
        assert len(await timers_later(resources)) == timers, command


@pytest.mark.parametrize(
    "wait",
    [
        {
            "id": "paid",
            "type": "wait_for_event",
            "data": {"event": "purchase", "match": {"user.id": "{{ user.id }}"}, "timeout": 3600},
        },
        {"id": "ok", "type": "approval", "data": {"timeout": 3600}},
    ],
    ids=["event", "approval"],
)
async def test_a_command_on_a_wait_for_an_event_or_an_approval_moves_its_one_timer(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, wait: dict[str, Any]
) -> None:
    await create(client, workflow([wait, {"id": "after", "type": "log"}]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup", "user": {"id": "u1"}}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    (deadline,) = await timers_later(resources)

    # The wait's own timer taken back and armed again: not a second one beside it.
    for command, timers in (("pause", []), ("resume", [deadline])):
        answer = await client.post(f"/api/runs/{run_id}/{command}")
        assert answer.status_code == 200, answer.text
        assert await timers_later(resources) == timers, command
    skipped = await client.post(f"/api/runs/{run_id}/skip")
    assert skipped.status_code == 200, skipped.text
    assert await timers_later(resources) == []  # brought forward: none left for the deadline
    await drain_until(client, settings, [run_id], {"completed"})


async def test_a_resume_landing_between_a_pause_and_its_disarm_keeps_the_waits_timer(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two calls on one run, as two people or a bulk job and a person make them: the pause
    # saved, the resume saved and armed the timer, and only then the pause takes it back.
    scaled = settings.model_copy(update={"delay_scale": 0.1})
    await create(client, workflow([{"id": "later", "type": "log", "delay": 5}]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, scaled, [run_id], {"waiting"})
    assert resources.engine is not None
    queue = resources.engine.queue
    disarm = queue.disarm

    async def resumed_first(tenant_id: str, run_id: str, job_id: str) -> None:
        monkeypatch.setattr(queue, "disarm", disarm)
        resumed = await client.post(f"/api/runs/{run_id}/resume")
        assert resumed.status_code == 200, resumed.text
        await disarm(tenant_id, run_id, job_id)

    monkeypatch.setattr(queue, "disarm", resumed_first)
    paused = await client.post(f"/api/runs/{run_id}/pause")
    assert paused.status_code == 200, paused.text
    assert (await run_of(client, run_id))["status"] == "waiting"
    # The wait's own timer, by its id and due or not: a count would also see a reconciler's
    # resume that a worker stopping mid-reconcile may leave, and a slow machine may pass the
    # half-second delay's due time before this line.
    run = await resources.store.get_run("acme", run_id)
    member = orjson.dumps(["acme", run_id, run.timer("delay")])
    assert await queue.pool.zscore(RESUMES, member) is not None

    await drain(scaled)
    assert (await run_of(client, run_id))["status"] == "completed"


class PausedOnceRead:
    """The real store, except that its first read of a run lets a pause through the API
    land before answering what it read: a worker that took a timer then finds its walk's
    first checkpoint refused."""

    def __init__(self, store: Store, client: httpx.AsyncClient) -> None:
        self._store = store
        self._client = client
        self.paused = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_run(self, tenant_id: str, run_id: str) -> Run:
        run = await self._store.get_run(tenant_id, run_id)
        if not self.paused:
            self.paused = True
            answer = await self._client.post(f"/api/runs/{run_id}/pause")
            assert answer.status_code == 200, answer.text
        return run


async def test_a_pause_after_a_worker_took_the_timer_stops_the_walk_and_leaves_no_timer(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, httpserver: HTTPServer
) -> None:
    # The pause takes back a timer a walk holds: the walk sends nothing, its end finds the
    # member gone, and the resume alone has the run go on, once.
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    hook = {"url": httpserver.url_for("/hook"), "json": {"n": 1}}
    later = {"id": "later", "type": "webhook_call", "delay": 5, "data": hook}
    scaled = settings.model_copy(update={"delay_scale": 0.1, "http_allowed_hosts": ["127.0.0.1"]})
    await create(client, workflow([later]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, scaled, [run_id], {"waiting"})
    await asyncio.sleep(0.5)  # the delay's timer is due on the machine's clock
    store = PausedOnceRead(resources.store, client)
    await drain(scaled, store=store)
    assert store.paused
    paused = await run_of(client, run_id)
    assert (paused["status"], paused["steps"], httpserver.log) == ("paused", [], [])
    assert resources.engine is not None
    assert await resources.engine.queue.resumes.left() == 0

    assert (await client.post(f"/api/runs/{run_id}/resume")).status_code == 200
    await drain(scaled)
    done = await run_of(client, run_id)
    assert done["status"] == "completed"
    assert [s["step_id"] for s in done["steps"]] == ["later"]
    assert len(httpserver.log) == 1


class CommandedAsItWaits:
    """The real store, except that once a walk has saved a run waiting for ``reason`` (a
    delay, a retry), ``command`` is made through the API before the store answers the
    walk: the command lands between the wait's save and its timer's arming. Fault
    injection, since no real race can be had on demand."""

    def __init__(self, store: Store, client: httpx.AsyncClient, reason: str, command: str) -> None:
        self._store = store
        self._client = client
        self._reason = reason
        self._command = command
        self.commanded = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def save_run(self, run: Run, *args: Any) -> bool:
        saved: bool = await self._store.save_run(run, *args)
        if saved and not self.commanded and run.wait_reason == self._reason:
            self.commanded = True
            answer = await self._client.post(f"/api/runs/{run.run_id}/{self._command}")
            assert answer.status_code == 200, answer.text
        return saved


@pytest.mark.parametrize(
    ("reason", "command", "calls"), [("delay", "skip", 0), ("retry", "retry", 2)]
)
async def test_a_command_landing_as_a_wait_is_saved_moves_the_run_at_once(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    httpserver: HTTPServer,
    reason: str,
    command: str,
    calls: int,
) -> None:
    # The walker saved the run waiting (an hour's delay, a ten minutes' backoff), then the
    # command made it due now and armed the wait's timer now, and only then would the
    # walker arm that timer at the wait's end: the run must still go on now, not at the
    # wait's end or when the reconciler (half an hour away here) finds it.
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_json({"ok": True})
    hook = {"url": httpserver.url_for("/hook"), "json": {"n": 1}}
    step = (
        {"id": "later", "type": "log", "delay": 3600}
        if reason == "delay"
        else {"id": "hook", "type": "webhook_call", "data": hook, "retry": {"backoff": BACKOFF}}
    )
    await create(client, workflow([step]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    update = {"http_allowed_hosts": ["127.0.0.1"], "reconcile_grace": 1800}
    store = CommandedAsItWaits(resources.store, client, reason, command)
    worker = create_worker(
        settings.model_copy(update=update), store=store, poll_delay=0.01, handle_signals=False
    )
    running = asyncio.create_task(worker.async_run())
    try:
        run = await settled(resources, run_id, set())
    finally:
        await stop_gracefully(worker, running)
    assert store.commanded
    assert run.status == "completed"
    assert len(httpserver.log) == calls


class PausedAsTheWaitIsSaved:
    """The real store, except that a walk's first save of a run waiting for ``reason`` (a
    delay, a retry's back-off) lets a pause through the API land just before it (then
    ``variables`` set on the paused run, and a resume, with ``resumed``): the pause finds
    the run running (or as stored before the walk's first save), and the walk's save is
    refused. ``carried`` is set once the walk has carried its progress onto the run as the
    requests left it. Fault injection, since no real race can be had on demand."""

    def __init__(
        self,
        store: Store,
        client: httpx.AsyncClient,
        reason: str,
        resumed: bool = False,
        variables: dict[str, Any] | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._reason = reason
        self._requests: list[tuple[str, str, dict[str, Any] | None]] = [("POST", "pause", None)]
        if variables is not None:
            self._requests.append(("PATCH", "variables", variables))
        if resumed:
            self._requests.append(("POST", "resume", None))
        self.paused = False
        self.carried = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def save_run(self, run: Run, *args: Any) -> bool:
        if not self.paused and run.wait_reason == self._reason:
            self.paused = True
            for method, path, body in self._requests:
                url = f"/api/runs/{run.run_id}/{path}"
                answer = await self._client.request(method, url, json=body)
                assert answer.status_code == 200, answer.text
        saved: bool = await self._store.save_run(run, *args)
        if saved and self.paused and run.status != "running":
            self.carried.set()
        return saved


async def settled(resources: Resources, run_id: str, statuses: set[str]) -> Run:
    """The run once its status is one of ``statuses``, or finished."""

    async def there() -> Run | None:
        run = await resources.store.get_run("acme", run_id)
        return run if run.finished or run.status in statuses else None

    return await until(there, f"run {run_id} finished or {statuses}")


async def carried_over(
    settings: Settings, store: PausedAsTheWaitIsSaved, clock: ShiftedClock | None
) -> None:
    """Walk with a real worker (reading ``clock``, or the system's) until the walk has
    carried its progress onto the run as ``store``'s requests left it; then stop the
    worker, its walk over."""
    update = {"http_allowed_hosts": ["127.0.0.1"]}
    worker = create_worker(
        settings.model_copy(update=update),
        store=store,
        clock=clock,
        poll_delay=0.01,
        handle_signals=False,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        await asyncio.wait_for(store.carried.wait(), 60)  # a guard against hanging, not a timing
    finally:
        await stop_gracefully(worker, running)


async def resumed_after_a_pause_as_saved(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    run_id: str,
    reason: str,
    clock: ShiftedClock | None = None,
    during: bool = False,
) -> Run:
    """Walk the run with a real worker (reading ``clock``, or the system's) until a pause
    lands as its wait for ``reason`` is saved and the walk has carried its progress onto
    the paused run; stop the worker (its walk over), then resume the run through the API:
    the run as the resume left it. ``during``: the resume lands with the pause, before the
    walk's save, and the run is as the walk's carry-over left it."""
    store = PausedAsTheWaitIsSaved(resources.store, client, reason, resumed=during)
    await carried_over(settings, store, clock)
    if not during:
        assert (await run_of(client, run_id))["status"] == "paused"
        assert (await client.post(f"/api/runs/{run_id}/resume")).status_code == 200
    return await resources.store.get_run("acme", run_id)


def timer_of(run: Run, reason: str) -> bytes:
    """The member of the wait's one timer among the resumes."""
    return orjson.dumps([run.tenant_id, run.run_id, run.timer(reason)])


async def test_a_pause_landing_as_a_delay_is_saved_keeps_the_delay_after_a_resume(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, httpserver: HTTPServer
) -> None:
    # The walk, past the webhook (the run saved running), meets the hour's delay before
    # "later"; the pause lands just before the delay's save. Resumed, the run must wait
    # out the delay, not go on to "later" at once as if it had been served.
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    hook = {"id": "hook", "type": "webhook_call", "data": {"url": httpserver.url_for("/hook")}}
    later = {"id": "later", "type": "log", "delay": 3600, "data": {"message": "welcome"}}
    await create(client, workflow([hook, later]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    began = datetime.now(UTC)
    run = await resumed_after_a_pause_as_saved(client, settings, resources, run_id, "delay")
    assert (run.status, run.wait_reason) == ("waiting", "delay")
    assert run.due_at is not None
    assert run.due_at >= began + timedelta(minutes=59)
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["hook"]
    assert await timers_later(resources) == [timer_of(run, "delay")]


async def test_a_pause_landing_as_a_timers_walk_saves_the_next_delay_keeps_that_delay(
    client: httpx.AsyncClient, settings: Settings, resources: Resources, clock: ShiftedClock
) -> None:
    # The first delay's timer walks the run through "first" (a log: no save of its own) to
    # the hour's delay before "last"; the pause lands before that walk's one save, so it
    # finds the run as stored, still waiting in the first delay, whose due time has passed.
    # Resumed, the run must wait out the hour's delay, not take "last" at once.
    first = {"id": "first", "type": "log", "delay": 60}
    last = {"id": "last", "type": "log", "delay": 3600}
    await create(client, workflow([first, last]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"}, clock=clock)
    clock.advance(61)
    began = clock.now()
    run = await resumed_after_a_pause_as_saved(
        client, settings, resources, run_id, "delay", clock=clock
    )
    assert (run.status, run.wait_reason) == ("waiting", "delay")
    assert run.due_at is not None
    assert run.due_at >= began + timedelta(minutes=59)
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["first"]
    assert timer_of(run, "delay") in await timers_later(resources)


@pytest.mark.parametrize("during", [False, True], ids=["resumed-after", "resumed-during"])
async def test_a_pause_landing_as_a_retry_wait_is_saved_keeps_the_backoff_after_a_resume(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    httpserver: HTTPServer,
    during: bool,
) -> None:
    # The webhook fails once; the pause lands just before the save of the run waiting
    # BACKOFF to retry it, and the resume once the walk carried its progress over, or with
    # the pause, before the save. Resumed, the run must wait out the back-off (its retry
    # still one a retry through the API can bring forward), not call the webhook again at
    # once.
    run_id = await failing_once(client, resources, httpserver)
    began = datetime.now(UTC)
    run = await resumed_after_a_pause_as_saved(
        client, settings, resources, run_id, "retry", during=during
    )
    assert (run.status, run.wait_reason, run.attempt) == ("waiting", "retry", 2)
    assert run.due_at is not None
    assert run.due_at >= began + timedelta(seconds=BACKOFF - 60)
    assert len(httpserver.log) == 1
    timers = await timers_later(resources)
    if during:
        # The resume's own job, due at once, may be put back a moment while the walk held
        # the run (it then finds nothing to do): the retry's timer must be armed beside it.
        assert timer_of(run, "retry") in timers
    else:
        assert timers == [timer_of(run, "retry")]
    reasons = [(h["from"], h["to"], h["reason"]) for h in run.history[-3:]]
    assert reasons == [
        ("running", "waiting", "retry"),
        ("waiting", "paused", "paused"),
        ("paused", "waiting", "resumed"),
    ]


async def paused_and_resumed(
    client: httpx.AsyncClient, resources: Resources, clock: ShiftedClock, run_id: str, for_: int
) -> tuple[Run, timedelta]:
    """Pause the waiting run, move the clock ``for_`` seconds on, resume it: the run as
    resumed, and the time its wait had left when paused, which the paused run's page reads
    all along (``paused_wait``), and no longer once it is resumed."""
    parked = await resources.store.get_run("acme", run_id)
    assert parked.due_at is not None
    assert (await run_of(client, run_id))["paused_wait"] is None
    assert (await client.post(f"/api/runs/{run_id}/pause")).status_code == 200
    paused = await resources.store.get_run("acme", run_id)
    left = parked.due_at - datetime.fromisoformat(paused.history[-1]["at"])
    clock.advance(for_)
    read = {"reason": parked.wait_reason, "left_seconds": left.total_seconds()}
    assert (await run_of(client, run_id))["paused_wait"] == read
    assert (await client.post(f"/api/runs/{run_id}/resume")).status_code == 200
    resumed = await resources.store.get_run("acme", run_id)
    assert (await run_of(client, run_id))["paused_wait"] is None
    return resumed, left


@pytest.mark.parametrize("paused_for", [1800, 7200], ids=["within-the-delay", "past-its-end"])
async def test_a_delay_paused_then_resumed_waits_out_only_the_time_it_had_left(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
    paused_for: int,
) -> None:
    # An hour's delay before "later", paused as soon as it began, for half an hour or two
    # hours: resumed, the run waits the hour it had left, as a paused timer does; the
    # step after the delay is not taken at once, nor the delay begun again.
    later = {"id": "later", "type": "log", "delay": 3600, "data": {"message": "welcome"}}
    await create(client, workflow([{"id": "first", "type": "log"}, later]))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"}, clock=clock)
    resumed, left = await paused_and_resumed(client, resources, clock, run_id, paused_for)
    assert (resumed.status, resumed.wait_reason) == ("waiting", "delay")
    assert left > timedelta(minutes=59)  # paused as soon as the delay began
    assert resumed.due_at == datetime.fromisoformat(resumed.history[-1]["at"]) + left
    assert await timers_later(resources) == [timer_of(resumed, "delay")]
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["first"]


async def test_a_retry_wait_paused_then_resumed_waits_out_only_the_back_off_it_had_left(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    httpserver: HTTPServer,
    clock: ShiftedClock,
) -> None:
    # Paused for an hour during the ten minutes' back-off: resumed, the run waits the
    # back-off it had left, then calls again; not at once.
    run_id, _ = await waiting_to_retry(client, settings, resources, httpserver)
    resumed, left = await paused_and_resumed(client, resources, clock, run_id, 3600)
    assert (resumed.status, resumed.wait_reason) == ("waiting", "retry")
    assert left > timedelta(seconds=BACKOFF - 60)
    assert resumed.due_at == datetime.fromisoformat(resumed.history[-1]["at"]) + left
    assert await timers_later(resources) == [timer_of(resumed, "retry")]
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("parked", [False, True], ids=["read-pending", "read-waiting"])
async def test_variables_set_on_a_run_paused_as_its_wait_is_saved_keep_their_values(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    clock: ShiftedClock,
    parked: bool,
) -> None:
    # The walk sets "stage" and "mark", then meets the hour's delay before "last"; a pause
    # lands just before the delay's save, and an operator sets "stage", adds "coupon" and
    # removes "plan" on the paused run. The walk's save is refused and its progress carried
    # onto the paused run: the operator's values must stay (the API answered them, and the
    # pause came after the walk's steps), with the walk's new "mark" beside them. Read
    # waiting: the walk went on from a first delay's timer, the run stored waiting in it.
    walked = {"id": "walked", "type": "set", "data": {"stage": "walked", "mark": "walk"}}
    last = {"id": "last", "type": "log", "delay": 3600}
    actions: list[dict[str, Any]]
    if parked:
        first = {"id": "first", "type": "set", "data": {"plan": "basic", "stage": "first"}}
        actions = [first, {**walked, "delay": 60}, last]
    else:
        actions = [{"id": "first", "type": "set", "data": {"plan": "basic"}}, walked, last]
    await create(client, workflow(actions))
    await redis_known(resources)
    run_id = (await send(client, {"type": "signup"}))["run_ids"][0]
    if parked:
        await drain_until(client, settings, [run_id], {"waiting"}, clock=clock)
        clock.advance(61)
    operator = {"stage": "operator", "coupon": "X1", "plan": None}
    store = PausedAsTheWaitIsSaved(resources.store, client, "delay", variables=operator)
    await carried_over(settings, store, clock)
    run = await run_of(client, run_id)
    assert (run["status"], run["paused_wait"]["reason"]) == ("paused", "delay")
    assert run["vars"] == {"stage": "operator", "mark": "walk", "coupon": "X1"}
    assert run["history"][-1]["reason"] == "variables changed: coupon, plan, stage"
