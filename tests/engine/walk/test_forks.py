"""Parallel branches and their joins, end to end: events in through the API, a real arq
worker on a real Redis, real SQLite. Delays are scaled down with ``delay_scale``."""

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.actions.registry import Registry
from app.clock import Clock
from app.engine.walk.family import Family
from app.models.run import Run
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import send, worker_running
from tests.engine.walk.test_runs import create, drain_until, run_of
from tests.engine.walk.test_waits import mailer, smtp_configured
from tests.waiting import DEADLINE, until

# A branch's 1,000 s delay becomes 1 s; a 100,000 s one never ends within a test.
SCALE = 0.001


def mail(step_id: str, subject: str, delay: float = 0) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "send_email",
        "delay": delay,
        "data": {"recipient": "{{ user.id }}@example.com", "subject": subject, "body": "Hi"},
    }


def fan_out(join: dict[str, Any], branches: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "workflow_id": "fan_out",
        "name": "Fan out",
        "trigger": {"type": "order"},
        "actions": [
            {"id": "before", "type": "set", "data": {"order": "{{ order_id }}"}},
            {
                "id": "fan",
                "type": "parallel",
                "data": join,
                "branches": [
                    {"name": name, "actions": actions} for name, actions in branches.items()
                ],
            },
            {
                "id": "after",
                "type": "log",
                "data": {"message": "{{ steps.fan.output.completed | join(',') }}"},
            },
        ],
    }


async def start(client: httpx.AsyncClient, document: dict[str, Any]) -> str:
    await create(client, document)
    accepted = await send(
        client, {"type": "order", "user": {"id": "u1"}, "data": {"order_id": "o7"}}
    )
    run_id: str = accepted["run_ids"][0]
    return run_id


def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"delay_scale": SCALE})


async def finish(
    client: httpx.AsyncClient,
    settings: Settings,
    run_id: str,
    registry: Registry,
    clock: Clock | None = None,
) -> None:
    finished = {"completed", "failed", "cancelled"}
    await drain_until(
        client, fast_settings(settings), [run_id], finished, registry=registry, clock=clock
    )


async def test_join_all_waits_for_every_branch_and_takes_their_outputs_and_vars(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {},
            {
                "email": [
                    mail("welcome", "Order {{ vars.order }}"),
                    {"id": "mailed", "type": "set", "data": {"mailed": True}},
                ],
                "later": [mail("receipt", "Receipt {{ order_id }}", delay=1000)],
            },
        ),
    )
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    assert sorted(m["subject"] for m in sent.sent) == ["Order o7", "Receipt o7"]
    fan = run["outputs"]["fan"]["output"]
    assert fan["join"] == "all"
    assert fan["completed"] == ["email", "later"]
    assert {b: v["status"] for b, v in fan["branches"].items()} == {
        "email": "completed",
        "later": "completed",
    }
    assert run["vars"] == {"order": "o7", "mailed": True}
    assert run["outputs"]["receipt"]["output"] == {"sent_to": "u1@example.com"}
    assert run["outputs"]["after"]["output"] == {"message": "email,later"}
    assert [s["step_id"] for s in run["steps"]] == ["before", "fan", "after"]
    assert run["join"] is None
    branch = await run_of(client, fan["branches"]["later"]["run_id"])
    assert branch["parent"] == {"run_id": run_id, "step": "fan", "branch": "later"}
    assert [s["step_id"] for s in branch["steps"]] == ["receipt"]
    assert branch["steps"][0]["idempotency_key"] == f"{branch['run_id']}:receipt:0"


async def test_join_any_takes_the_first_branch_and_cancels_the_rest_before_they_send(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {"join": "any"},
            {
                "sms": [{"id": "quick", "type": "log", "data": {"message": "hi"}}],
                "email": [mail("slow", "Too late", delay=100_000)],
            },
        ),
    )
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    fan = run["outputs"]["fan"]["output"]
    assert fan["completed"] == ["sms"]
    loser = await run_of(client, fan["branches"]["email"]["run_id"])
    assert loser["status"] == "cancelled"
    assert loser["history"][-1]["reason"] == f"lost the join of {run_id} at fan"
    assert "slow" not in run["outputs"]
    assert sent.sent == []


async def test_join_first_n_completes_with_n_branches(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {"join": "first", "count": 2},
            {
                "a": [mail("mail_a", "A")],
                "b": [mail("mail_b", "B", delay=100_000)],
                "c": [mail("mail_c", "C", delay=500)],
            },
        ),
    )
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    assert run["outputs"]["fan"]["output"]["completed"] == ["a", "c"]
    assert sorted(m["subject"] for m in sent.sent) == ["A", "C"]
    b = run["outputs"]["fan"]["output"]["branches"]["b"]
    assert b["status"] == "cancelled"


async def test_a_failed_branch_fails_a_join_all_and_cancels_the_others(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {},
            {
                "broken": [
                    {"id": "bad", "type": "log", "data": {"message": "{{ missing.value }}"}}
                ],
                "email": [mail("never", "Never", delay=100_000)],
            },
        ),
    )
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "fan"
    assert run["error"]["message"] == "branch broken failed"
    assert "missing" in run["error"]["error"]["message"]
    email = run["steps"][-1]["output"]["branches"]["email"]
    assert email["status"] == "cancelled"
    assert sent.sent == []


async def test_cancelling_a_run_at_its_join_cancels_its_branches(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    _, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {},
            {
                "a": [mail("wait_a", "A", delay=100_000)],
                "b": [mail("wait_b", "B", delay=100_000)],
            },
        ),
    )
    await drain_until(client, fast_settings(settings), [run_id], {"waiting"}, registry=registry)
    join = (await run_of(client, run_id))["join"]
    assert join["mode"] == "all"
    children = [child["run_id"] for child in join["children"]]
    await drain_until(client, fast_settings(settings), children, {"waiting"}, registry=registry)
    cancelled = await client.post(f"/api/runs/{run_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    for child in children:
        branch = await run_of(client, child)
        assert branch["status"] == "cancelled"
        assert branch["history"][-1]["reason"] == "its parent run cancelled"


async def test_a_parallel_step_inside_a_loop_starts_fresh_branches_each_iteration(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    document = {
        "workflow_id": "each",
        "name": "Each",
        "trigger": {"type": "order"},
        "actions": [
            {
                "id": "items",
                "type": "loop",
                "data": {"items": [1, 2]},
                "actions": [
                    {
                        "id": "fan",
                        "type": "parallel",
                        "branches": [
                            {"name": "x", "actions": [mail("mx", "x{{ item }}")]},
                            {"name": "y", "actions": [mail("my", "y{{ item }}")]},
                        ],
                    },
                ],
            }
        ],
    }
    run_id = await start(client, document)
    await finish(client, settings, run_id, registry)
    assert (await run_of(client, run_id))["status"] == "completed"
    assert sorted(m["subject"] for m in sent.sent) == ["x1", "x2", "y1", "y2"]


async def test_a_dry_run_walks_every_branch_and_labels_its_steps(client: httpx.AsyncClient) -> None:
    await smtp_configured(client)
    await create(
        client,
        fan_out(
            {"join": "any"},
            {
                "a": [mail("mail_a", "A", delay=60)],
                "b": [mail("mail_b", "B")],
            },
        ),
    )
    response = await client.post(
        "/api/workflows/fan_out/test",
        json={"event": {"type": "order", "user": {"id": "u1"}, "data": {"order_id": "o1"}}},
    )
    assert response.status_code == 200, response.text
    trace = response.json()["trace"]
    branches = {entry["step_id"]: entry.get("branch") for entry in trace if "step_id" in entry}
    assert branches == {"before": None, "mail_a": "a", "mail_b": "b", "fan": None, "after": None}
    assert response.json()["status"] == "completed"
    # Each branch starts at the fork; the join waits for the last one's 60 s delay.
    at = {entry["step_id"]: entry["at"] for entry in trace if "step_id" in entry}
    assert at["mail_b"] < 1 < 60 <= at["mail_a"] <= at["fan"]


async def test_an_exit_event_ends_a_run_at_its_join_with_its_branches_and_sub_runs(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(
        client,
        {
            "workflow_id": "child",
            "name": "Child",
            "trigger": {"type": "never_sent"},
            "actions": [mail("sub_mail", "sub", delay=100_000)],
        },
    )
    document = fan_out(
        {},
        {
            "a": [mail("mail_a", "A", delay=100_000)],
            "b": [
                {
                    "id": "sub",
                    "type": "trigger_workflow",
                    "data": {"workflow_id": "child", "wait": True},
                }
            ],
        },
    )
    document["settings"] = {
        "cancel_on": [{"event": "order_cancelled", "match": {"user.id": "{{ user.id }}"}}]
    }
    run_id = await start(client, document)
    fast = fast_settings(settings)
    await drain_until(client, fast, [run_id], {"waiting"}, registry=registry)
    branches = [c["run_id"] for c in (await run_of(client, run_id))["join"]["children"]]
    await drain_until(client, fast, branches, {"waiting"}, registry=registry)
    sub_run = (await run_of(client, branches[1]))["join"]["children"][0]["run_id"]
    await drain_until(client, fast, [sub_run], {"waiting"}, registry=registry)
    await send(client, {"type": "order_cancelled", "user": {"id": "u1"}})
    for one in [run_id, *branches, sub_run]:
        assert (await run_of(client, one))["status"] == "cancelled", one
    assert sent.sent == []


async def test_a_join_survives_redis_forgetting_every_job(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock
) -> None:
    """Branches asleep in their delays, their parent parked at the join, and Redis flushed:
    the reconciler starts the overdue branches, whose ends wake the parent."""
    sent, registry = mailer()
    run_id = await start(
        client,
        fan_out(
            {},
            {
                "a": [mail("mail_a", "A", delay=100_000)],
                "b": [mail("mail_b", "B", delay=100_000)],
            },
        ),
    )
    fast = fast_settings(settings).model_copy(update={"job_timeout": 2, "reconcile_grace": 1})
    await drain_until(client, fast, [run_id], {"waiting"}, registry=registry)
    branches = [c["run_id"] for c in (await run_of(client, run_id))["join"]["children"]]
    await drain_until(client, fast, branches, {"waiting"}, registry=registry)
    assert settings.redis_url is not None
    async with Redis.from_url(settings.redis_url) as redis:
        await redis.flushdb()
    clock.advance(101.5)  # past the branches' 100 s delays, and the reconciler's 1 s grace
    await finish(client, fast, run_id, registry, clock)
    assert (await run_of(client, run_id))["status"] == "completed"
    assert sorted(m["subject"] for m in sent.sent) == ["A", "B"]


async def test_a_branch_that_leaves_a_variable_alone_keeps_the_change_another_made(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Each branch starts with a copy of the run's vars and outputs: only what a branch
    changed comes back, so a later branch's untouched copy undoes nothing."""
    _, registry = mailer()
    document = {
        "workflow_id": "each",
        "name": "Each",
        "trigger": {"type": "order"},
        "actions": [
            {"id": "init", "type": "set", "data": {"status": "new"}},
            {
                "id": "items",
                "type": "loop",
                "data": {"items": [1, 2]},
                "actions": [
                    {
                        "id": "fan",
                        "type": "parallel",
                        "branches": [
                            {
                                "name": "x",
                                "actions": [
                                    {
                                        "id": "mark",
                                        "type": "set",
                                        "data": {"status": "seen {{ item }}"},
                                    }
                                ],
                            },
                            {
                                "name": "y",
                                "actions": [
                                    {"id": "note", "type": "log", "data": {"message": "y"}}
                                ],
                            },
                        ],
                    },
                ],
            },
        ],
    }
    run_id = await start(client, document)
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed", run
    assert run["vars"]["status"] == "seen 2"
    assert run["outputs"]["mark"]["output"] == {"status": "seen 2"}


async def test_branches_of_a_run_cancelled_as_it_forks_send_nothing_before_it_stops(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The branches are picked up and reach their first message while the parent's walk,
    which would cancel them, is held: each finds its parent ended, and cancels itself."""
    sent, registry = mailer()
    start_children = Family.start
    branches_ended = asyncio.Event()

    async def ended(runs: Sequence[Run]) -> bool:
        statuses = {(await run_of(client, run.run_id))["status"] for run in runs}
        return statuses <= {"completed", "cancelled"}

    async def cancel_then_hold(family: Family, runs: Sequence[Run]) -> None:
        # Cancelled before its branches can be taken: cancelled after, it raced them (a
        # branch taken at once read its parent in the cancel's last milliseconds; one that
        # read it first would have sent, its parent not cancelled yet).
        parent = runs[0].parent
        assert parent is not None
        await client.post(f"/api/runs/{parent['run_id']}/cancel")
        await start_children(family, runs)
        await until(lambda: ended(runs), "the branches ended")
        branches_ended.set()

    monkeypatch.setattr(Family, "start", cancel_then_hold)
    run_id = await start(client, fan_out({}, {"a": [mail("mail_a", "A")], "b": [mail("b", "B")]}))
    # Until the branches have ended, not the parent (cancelled at once): a worker stopped
    # then took no branch, and the parent's walk ended them once its hold gave up.
    async with worker_running(fast_settings(settings), registry):
        await asyncio.wait_for(branches_ended.wait(), DEADLINE)
    children = [await run_of(client, f"{run_id}.0.{name}") for name in ("a", "b")]
    assert [child["status"] for child in children] == ["cancelled"] * 2
    assert children[0]["history"][-1]["reason"] == "its parent run cancelled"
    assert sent.sent == []


async def test_a_run_cancelled_as_it_forks_cancels_the_branches_it_started(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cancel lands between the fork and the parent's saving its join: the walk's
    refused save must still end the branches (they would send for a cancelled run)."""
    sent, registry = mailer()
    start_children = Family.start

    async def cancel_while_forking(family: Family, runs: Sequence[Run]) -> None:
        # The interleaving under test, made certain: the branches are recorded and
        # enqueued, then the parent is cancelled before the walk parks it at the join.
        await start_children(family, runs)
        parent = runs[0].parent
        assert parent is not None
        cancelled = await client.post(f"/api/runs/{parent['run_id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"

    monkeypatch.setattr(Family, "start", cancel_while_forking)
    run_id = await start(
        client,
        fan_out(
            {},
            {
                # 5 s once scaled: the branches still wait when the parent's walk
                # cancels them, so this test sees that walk do it (the test before it
                # sees branches reaching their mail first cancel themselves).
                "a": [mail("mail_a", "A", delay=5_000)],
                "b": [mail("mail_b", "B", delay=5_000)],
            },
        ),
    )
    await finish(client, settings, run_id, registry)
    run = await run_of(client, run_id)
    assert run["status"] == "cancelled"
    children = [f"{run_id}.0.a", f"{run_id}.0.b"]
    await finish(client, settings, children[0], registry)
    await finish(client, settings, children[1], registry)
    assert [(await run_of(client, child))["status"] for child in children] == ["cancelled"] * 2
    assert sent.sent == []
