"""Split and loop: assignment unit tests, then runs end to end on a real Redis and worker."""

from collections import Counter
from typing import Any

import httpx

from app.engine.walk.arms import assign, bucket
from app.settings import Settings
from tests.conftest import drain, send
from tests.engine.walk.test_runs import create, drain_until, run_of
from tests.engine.walk.test_waits import mailer


def test_a_key_always_gets_the_same_point_and_points_spread_evenly() -> None:
    assert bucket("wf:ab:u1") == bucket("wf:ab:u1")
    points = [bucket(f"wf:ab:u{n}") for n in range(10_000)]
    assert all(0 <= p < 1 for p in points)
    assert abs(sum(p < 0.5 for p in points) - 5_000) < 250


def test_the_holdout_comes_first_then_variants_by_weight() -> None:
    assert assign(0.05, 10, [1, 3]) is None
    assert assign(0.10, 10, [1, 3]) == 0
    assert assign(0.30, 10, [1, 3]) == 0
    assert assign(0.33, 10, [1, 3]) == 1
    assert assign(0.999, 0, [1, 3]) == 1
    shares = Counter(assign(bucket(f"k{n}"), 20, [1, 3]) for n in range(10_000))
    assert abs(shares[None] - 2_000) < 200
    assert abs(shares[0] - 2_000) < 200
    assert abs(shares[1] - 6_000) < 300


AB_TEST = {
    "workflow_id": "ab",
    "name": "A/B",
    "trigger": {"type": "signup"},
    "actions": [
        {
            "id": "subject",
            "type": "split",
            "data": {"holdout": 20},
            "variants": [
                {
                    "name": "short",
                    "weight": 1,
                    "actions": [
                        {
                            "id": "mail_short",
                            "type": "send_email",
                            "data": {"recipient": "{{user.id}}@example.com", "subject": "Hi"},
                        }
                    ],
                },
                {
                    "name": "long",
                    "weight": 3,
                    "actions": [
                        {
                            "id": "mail_long",
                            "type": "send_email",
                            "data": {
                                "recipient": "{{user.id}}@example.com",
                                "subject": "Hello there",
                            },
                        }
                    ],
                },
            ],
        },
        {"id": "after", "type": "log", "data": {"message": "{{ steps.subject.output.variant }}"}},
    ],
}


async def test_a_split_sends_each_user_down_one_variant_and_records_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, AB_TEST)
    users = [f"u{n}" for n in range(60)]
    run_ids = [
        (await send(client, {"type": "signup", "user": {"id": u}}))["run_ids"][0] for u in users
    ]
    again = (await send(client, {"type": "signup", "user": {"id": "u0"}}))["run_ids"][0]
    await drain(settings, registry)
    runs = [await run_of(client, run_id) for run_id in run_ids]
    variants = [run["variants"]["subject"] for run in runs]
    assert set(variants) == {"short", "long", "holdout"}
    assert (await run_of(client, again))["variants"] == runs[0]["variants"]
    for user, run, variant in zip(users, runs, variants, strict=True):
        steps = [s["step_id"] for s in run["steps"]]
        expected = {"short": ["mail_short"], "long": ["mail_long"], "holdout": []}[variant]
        assert steps == ["subject", *expected, "after"], (user, variant)
        assert run["outputs"]["after"]["output"] == {"message": variant}
    mailed = Counter(mail["subject"] for mail in sent.sent)
    assert mailed == {
        "Hi": variants.count("short") + (variants[0] == "short"),
        "Hello there": variants.count("long") + (variants[0] == "long"),
    }


def loop_workflow(items: Any = "{{ cart.items }}", **data: Any) -> dict[str, Any]:
    return {
        "workflow_id": "each",
        "name": "Each item",
        "trigger": {"type": "cart"},
        "actions": [
            {
                "id": "items",
                "type": "loop",
                "data": {"items": items, **data},
                "actions": [
                    {
                        "id": "mail",
                        "type": "send_email",
                        "data": {
                            "recipient": "{{ user.id }}@example.com",
                            "subject": "{{ index }}: {{ item.sku }}",
                        },
                    },
                    {
                        "id": "pause",
                        "type": "log",
                        "delay": 10,
                        "data": {"message": "{{ loops.items.index }}"},
                    },
                ],
            },
            {
                "id": "done",
                "type": "log",
                "data": {"message": "{{ steps['items'].output.iterations }} items"},
            },
        ],
    }


async def test_a_loop_runs_its_body_once_per_item_with_one_key_each(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, registry = mailer()
    await create(client, loop_workflow())
    cart = {"items": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}
    run_id = (await send(client, {"type": "cart", "user": {"id": "u1"}, "data": {"cart": cart}}))[
        "run_ids"
    ][0]
    await drain(settings.model_copy(update={"delay_scale": 0.01}), registry)
    run = await run_of(client, run_id)
    assert run["status"] == "completed"
    assert [mail["subject"] for mail in sent.sent] == ["0: A", "1: B", "2: C"]
    mails = [s for s in run["steps"] if s["step_id"] == "mail"]
    assert [s["idempotency_key"] for s in mails] == [f"{run_id}:mail:{n}" for n in range(3)]
    assert run["outputs"]["done"]["output"] == {"message": "3 items"}
    assert [s["step_id"] for s in run["steps"]].count("pause") == 3


async def test_an_empty_list_skips_the_body_and_too_long_a_list_fails_naming_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, loop_workflow(max_iterations=2))
    empty = (await send(client, {"type": "cart", "data": {"cart": {"items": []}}}))["run_ids"][0]
    three = {"cart": {"items": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}}
    long = (await send(client, {"type": "cart", "data": three}))["run_ids"][0]
    text = (await send(client, {"type": "cart", "data": {"cart": {"items": "A"}}}))["run_ids"][0]
    await drain(settings)
    assert [s["step_id"] for s in (await run_of(client, empty))["steps"]] == ["items", "done"]
    failed = await run_of(client, long)
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == (
        "action items data.items holds 3 items, over max_iterations (2)"
    )
    assert "data.items is str, not a list" in (await run_of(client, text))["error"]["message"]


async def test_skipping_a_loop_skips_its_body(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = loop_workflow(items=[1, 2])
    document["actions"][0]["delay"] = 3600
    document["actions"][1]["data"] = {"message": "done"}
    await create(client, document)
    run_id = (await send(client, {"type": "cart"}))["run_ids"][0]
    await drain_until(client, settings, [run_id], {"waiting"})
    await client.post(f"/api/runs/{run_id}/skip")
    await drain_until(client, settings, [run_id], {"completed"})
    assert [s["step_id"] for s in (await run_of(client, run_id))["steps"]] == ["done"]
