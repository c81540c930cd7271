"""wait_for_event end to end: events in through the API, a real arq worker on a real Redis,
real SQLite. Timeouts are scaled down with ``delay_scale``."""

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter
from app.actions.registry import Registry
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, key_for, send, worker_running
from tests.engine.walk.test_runs import create, drain_until, run_of
from tests.waiting import until

# 86,400 s (a day) becomes 1.7 s.
SCALE = 2e-5
DAY = 86400


class CountingMailer(ConnectorAdapter):
    """A test connector (named so): records every email it is asked to send."""

    code: ClassVar[str] = "counting_mailer"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_email": ActionSpec()}

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.sent.append(params)
        return {"sent_to": params.get("recipient")}


def mailer() -> tuple[CountingMailer, Registry]:
    connector = CountingMailer()
    registry = Registry()
    registry.register(connector)
    return connector, registry


def abandoned_cart(lookback: float = 0) -> dict[str, Any]:
    """The journey: a cart update waits a day for the same user's purchase; the reminder is
    sent only if none comes."""
    wait: dict[str, Any] = {
        "event": "purchase_completed",
        "match": {"user.id": "{{user.id}}"},
        "timeout": DAY,
    }
    if lookback:
        wait["lookback"] = lookback
    return {
        "workflow_id": "abandoned_cart",
        "name": "Abandoned cart",
        "trigger": {"type": "cart_updated"},
        "actions": [
            {
                "id": "wait_purchase",
                "type": "wait_for_event",
                "data": wait,
                "on_timeout": [
                    {
                        "id": "reminder",
                        "type": "send_email",
                        "data": {
                            "recipient": "{{user.email}}",
                            "subject": "Your cart is waiting",
                            "body": "It is still there.",
                        },
                    },
                ],
            }
        ],
    }


def cart(user: str) -> dict[str, Any]:
    return {"type": "cart_updated", "user": {"id": user, "email": f"{user}@example.com"}}


def purchase(user: str, order: str = "o-1") -> dict[str, Any]:
    return {"type": "purchase_completed", "user": {"id": user}, "data": {"order_id": order}}


def scaled(settings: Settings) -> Settings:
    return settings.model_copy(update={"delay_scale": SCALE})


FINISHED = {"completed", "failed", "cancelled"}


async def test_a_purchase_before_the_timeout_sends_no_reminder(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, abandoned_cart())
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, scaled(settings), [run_id], {"waiting"}, registry=registry)
    answered = await send(client, purchase("u1"))
    assert answered["run_ids"] == []
    await drain_until(client, scaled(settings), [run_id], FINISHED, registry=registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed"
    assert sent.sent == []
    output = run["outputs"]["wait_purchase"]["output"]
    assert (output["timed_out"], output["event"]["id"]) == (False, answered["event_id"])
    assert [s["step_id"] for s in run["steps"]] == ["wait_purchase"]


async def test_no_purchase_sends_exactly_one_reminder(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, abandoned_cart())
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, scaled(settings), [run_id], {"waiting"}, registry=registry)
    await send(client, purchase("someone_else"))
    await drain_until(client, scaled(settings), [run_id], FINISHED, registry=registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed"
    reminder = {"subject": "Your cart is waiting", "body": "It is still there."}
    assert sent.sent == [{"recipient": "u1@example.com", **reminder}]
    assert run["outputs"]["wait_purchase"]["output"] == {"event": None, "timed_out": True}
    assert [s["step_id"] for s in run["steps"]] == ["wait_purchase", "reminder"]


async def test_waiting_runs_show_what_they_wait_for_and_the_event_reaches_later_steps(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = abandoned_cart()
    document["actions"][0]["on_event"] = [
        {
            "id": "thanks",
            "type": "log",
            "data": {"message": "order {{ steps.wait_purchase.output.event.data.order_id }}"},
        },
    ]
    await create(client, document)
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    listed = (await client.get("/api/runs", params={"status": "waiting"})).json()["items"]
    wait = listed[0]["wait"]
    assert (wait["event"], wait["match"], wait["answered"]) == (
        "purchase_completed",
        {"user.id": "u1"},
        False,
    )
    waited = _time(wait["deadline"]) - _time(wait["started_at"])
    assert waited.total_seconds() == DAY
    await send(client, purchase("u1", order="o-77"))
    await drain_until(client, settings, [run_id], FINISHED)
    run = await run_of(client, run_id)
    assert run["outputs"]["thanks"]["output"] == {"message": "order o-77"}
    assert run["wait"] is None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_another_tenants_event_does_not_answer_the_wait(
    app_resources: tuple[httpx.AsyncClient, Resources],
    client: httpx.AsyncClient,
    settings: Settings,
) -> None:
    _, resources = app_resources
    await create(client, abandoned_cart())
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    other = {"Authorization": f"Bearer {await key_for(resources, 'globex', Role.ADMIN)}"}
    response = await client.post("/api/events", json=purchase("u1"), headers=other)
    assert response.status_code == 202
    await drain_until(client, settings, [run_id], {"waiting"})
    assert (await run_of(client, run_id))["wait"]["answered"] is False


async def test_lookback_counts_a_purchase_accepted_just_before_the_wait(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, abandoned_cart(lookback=60))
    early = await send(client, purchase("u1"))
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, settings, [run_id], FINISHED, registry=registry)
    run = await run_of(client, run_id)
    assert run["outputs"]["wait_purchase"]["output"]["event"]["id"] == early["event_id"]
    assert sent.sent == []


async def test_without_lookback_an_earlier_purchase_does_not_count(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, abandoned_cart())
    await send(client, purchase("u1"))
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, scaled(settings), [run_id], FINISHED, registry=registry)
    assert len(sent.sent) == 1


async def finished(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    async def ended() -> dict[str, Any] | None:
        run = await run_of(client, run_id)
        return run if run["status"] in FINISHED else None

    return await until(ended, f"run {run_id} finished")


@hypothesis_settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.floats(min_value=-0.05, max_value=0.05))
async def test_a_purchase_fired_around_the_start_of_the_wait_is_never_lost(
    client: httpx.AsyncClient, settings: Settings, offset: float
) -> None:
    """The purchase goes in up to 50 ms before or after the cart update whose run waits for
    it; a worker is polling all along, so the run reaches its wait at about that time. The
    timeout is a real day: only the purchase can end the run within the test."""
    if not (await client.get("/api/workflows/abandoned_cart")).is_success:
        await create(client, abandoned_cart(lookback=5))
    sent, registry = mailer()
    user = f"u{abs(hash(offset))}"
    async with worker_running(settings, registry, poll_delay=0.005):
        if offset < 0:
            await send(client, purchase(user))
            await asyncio.sleep(-offset)
            run_id = (await send(client, cart(user)))["run_ids"][0]
        else:
            run_id = (await send(client, cart(user)))["run_ids"][0]
            await asyncio.sleep(offset)
            await send(client, purchase(user))
        run = await finished(client, run_id)
    assert run["outputs"]["wait_purchase"]["output"]["timed_out"] is False, offset
    assert sent.sent == []


async def smtp_configured(client: httpx.AsyncClient) -> None:
    """An SMTP server in the tenant's notify_service configuration: a dry run's emails
    would go out (none is reached: nothing is sent)."""
    smtp = {
        "smtp": {"host": "mail.example.com", "port": 2525, "tls": "none", "from": "a@example.com"}
    }
    configured = await client.put("/api/integrations/notify_service", json={"config": smtp})
    assert configured.is_success, configured.text


async def test_a_dry_run_waits_out_the_timeout_and_takes_its_branch(
    client: httpx.AsyncClient,
) -> None:
    await smtp_configured(client)
    await create(client, abandoned_cart())
    response = await client.post("/api/workflows/abandoned_cart/test", json={"event": cart("u1")})
    result = response.json()
    assert result["status"] == "completed"
    wait, *steps = result["trace"]
    assert (wait["reason"], wait["wait_seconds"]) == ("wait_for_event", DAY)
    assert [(s["step_id"], s["output"].get("timed_out")) for s in steps] == [
        ("wait_purchase", True),
        ("reminder", None),
    ]


async def test_a_paused_wait_keeps_its_event_for_when_it_resumes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, abandoned_cart())
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"}, registry=registry)
    assert (await client.post(f"/api/runs/{run_id}/pause")).json()["status"] == "paused"
    await send(client, purchase("u1"))
    paused = await run_of(client, run_id)
    assert (paused["status"], paused["wait"]["answered"]) == ("paused", True)
    assert (await client.post(f"/api/runs/{run_id}/resume")).json()["status"] == "pending"
    await drain_until(client, settings, [run_id], FINISHED, registry=registry)
    run = await run_of(client, run_id)
    assert run["outputs"]["wait_purchase"]["output"]["timed_out"] is False
    assert sent.sent == []


async def test_skipping_a_wait_skips_both_its_branches(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = abandoned_cart()
    document["actions"].append({"id": "after", "type": "log"})
    await create(client, document)
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    assert (await client.post(f"/api/runs/{run_id}/skip")).json()["wait"] is None
    await drain_until(client, settings, [run_id], FINISHED)
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["after"]


def reminder_journey(**settings: Any) -> dict[str, Any]:
    """A cart update sleeps 100 s, then sends a reminder."""
    return {
        "workflow_id": "cart_reminder",
        "name": "Cart reminder",
        "trigger": {"type": "cart_updated"},
        "actions": [
            {"id": "noted", "type": "log", "data": {"message": "cart of {{ user.id }}"}},
            {
                "id": "reminder",
                "type": "send_email",
                "delay": 100,
                "data": {"recipient": "{{user.email}}"},
            },
        ],
        "settings": settings,
    }


EXIT_ON_PURCHASE = {
    "cancel_on": [{"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}]
}


async def test_an_exit_event_cancels_a_run_asleep_in_a_long_delay_at_once(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    # 100 s become 3: time enough to see both runs asleep on a busy machine.
    fast = settings.model_copy(update={"delay_scale": 0.03})
    await create(client, reminder_journey(**EXIT_ON_PURCHASE))
    run_id = (await send(client, cart("u1")))["run_ids"][0]
    other_id = (await send(client, cart("u2")))["run_ids"][0]
    await drain_until(client, fast, [run_id, other_id], {"waiting"}, registry=registry)
    await send(client, purchase("u1"))
    cancelled = await run_of(client, run_id)
    assert cancelled["status"] == "cancelled"
    assert cancelled["history"][-1]["reason"].startswith("exit event purchase_completed")
    await drain(fast, registry)  # the delayed jobs fall due and run
    assert (await run_of(client, run_id))["status"] == "cancelled"
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["noted"]
    assert (await run_of(client, other_id))["status"] == "completed"
    assert sent.sent == [{"recipient": "u2@example.com"}]


async def test_an_exit_on_the_trigger_event_restarts_the_journey(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    exit_on_cart = {"cancel_on": [{"event": "cart_updated", "match": {"user.id": "{{user.id}}"}}]}
    await create(client, reminder_journey(**exit_on_cart))
    first = (await send(client, cart("u1")))["run_ids"][0]
    second = (await send(client, cart("u1")))["run_ids"][0]
    assert (await run_of(client, first))["status"] == "cancelled"
    assert (await run_of(client, second))["status"] == "pending"
    listener = (await run_of(client, second))["listeners"][0]
    assert listener == {"event": "cart_updated", "match": {"user.id": "u1"}, "on": "cancel"}


async def test_a_goal_marks_the_run_converted_and_with_exit_ends_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    goal = {"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}
    await create(client, reminder_journey(goal=goal))
    await create(client, {**reminder_journey(goal={**goal, "exit": True}), "workflow_id": "exits"})
    stays, leaves = (await send(client, cart("u1")))["run_ids"]
    bought = await send(client, purchase("u1"))
    await send(client, purchase("u1", order="o-2"))
    stayed, left = await run_of(client, stays), await run_of(client, leaves)
    assert stayed["status"] == "pending"
    assert stayed["converted"]["event_id"] == bought["event_id"]
    assert (left["status"], left["converted"]["event_id"]) == ("completed", bought["event_id"])
    assert left["history"][-1]["reason"].startswith("goal purchase_completed reached")
    await drain_until(
        client,
        settings.model_copy(update={"delay_scale": 0.01}),
        [stays],
        FINISHED,
        registry=mailer()[1],
    )
    assert (await run_of(client, stays))["converted"]["event_id"] == bought["event_id"]


async def test_an_exit_match_that_cannot_render_skips_the_run_saying_why(
    client: httpx.AsyncClient,
) -> None:
    await create(client, reminder_journey(**EXIT_ON_PURCHASE))
    accepted = await send(client, {"type": "cart_updated"})
    assert accepted["run_ids"] == []
    assert "settings.cancel_on.0.match" in accepted["skipped"]["cart_reminder"]


async def test_an_exit_match_rendering_a_huge_value_says_so_cut(
    client: httpx.AsyncClient,
) -> None:
    # The reason quoted the rendered list whole: 200 KB in the event's answer and record.
    match = {"user.id": "{{ items }}"}
    await create(
        client, reminder_journey(cancel_on=[{"event": "purchase_completed", "match": match}])
    )
    accepted = await send(client, {"type": "cart_updated", "data": {"items": ["y" * 1000] * 200}})
    reason = accepted["skipped"]["cart_reminder"]
    assert "match.user.id rendered ['yyyyy" in reason
    assert len(reason) < 500, reason[:500]
