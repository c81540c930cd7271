"""Events in the user's words (issue 13, item 6): an event no active workflow listens to
still gets a 202, with a notice (c); business fields at the top level are told to go under
`data`, and a body without a Content-Type is JSON (d); JSON nested too deep is refused with
its line and column (e)."""

import httpx
import pytest

from app.settings import Settings
from tests.conftest import send
from tests.engine.walk.test_runs import drain_until_waiting, run_of

WORKFLOW = {
    "workflow_id": "greet",
    "name": "Greet",
    "trigger": {"type": "signup"},
    "actions": [{"type": "log", "data": {"message": "hi"}}],
}


async def test_an_event_no_workflow_listens_to_gets_a_notice(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/events", json={"type": "sigup", "user": {"id": "u1"}})
    assert reply.status_code == 202
    assert reply.json()["notice"].startswith(
        "No active workflow listens to events of type 'sigup': the event is stored"
    )
    batch = await client.post("/api/events/batch", json={"events": [{"type": "sigup"}]})
    assert "'sigup'" in batch.json()["results"][0]["notice"]


async def test_a_listened_to_type_gets_no_notice_even_when_conditions_fail(
    client: httpx.AsyncClient,
) -> None:
    conditional = WORKFLOW | {
        "trigger": {
            "type": "signup",
            "conditions": [{"field": "user.vip", "operator": "equals", "value": True}],
        }
    }
    assert (await client.post("/api/workflows", json=conditional)).status_code == 201
    reply = (await client.post("/api/events", json={"type": "signup", "user": {"id": "u1"}})).json()
    assert (reply["workflow_ids"], reply["notice"]) == ([], None)
    assert (await client.post("/api/workflows/greet/disable")).status_code == 200
    reply = (await client.post("/api/events", json={"type": "signup"})).json()
    assert "'signup'" in reply["notice"]


JOURNEY = {
    "workflow_id": "shipping",
    "name": "Shipping",
    "trigger": {"type": "order_placed"},
    "actions": [
        {
            "id": "wait_ship",
            "type": "wait_for_event",
            "data": {
                "event": "order_shipped",
                "match": {"order_id": "{{ order_id }}"},
                "timeout": 3600,
            },
        }
    ],
    "settings": {
        "cancel_on": [{"event": "order_refunded", "match": {"order_id": "{{ order_id }}"}}]
    },
}


async def test_an_event_that_answers_a_wait_or_ends_a_run_gets_no_notice(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # No workflow's trigger names order_shipped or order_refunded: the one run waits for the
    # first and ends at the second, which the sender must not be told nothing listens to.
    assert (await client.post("/api/workflows", json=JOURNEY)).status_code == 201
    placed = await send(client, {"type": "order_placed", "data": {"order_id": "o1"}})
    await drain_until_waiting(client, settings, placed["run_ids"])
    event = {"type": "order_shipped", "data": {"order_id": "o1"}, "idempotency_key": "ship-o1"}
    shipped = await send(client, event)
    assert (shipped["run_ids"], shipped["notice"]) == ([], None)
    # The reply names the runs it answered, as the event log does: no second call to see
    # that the shipment reached its order's run.
    assert (shipped["answered_run_ids"], shipped["ended_run_ids"]) == (placed["run_ids"], [])
    repeated = await send(client, event)  # a duplicate: the original's answer stands
    assert (repeated["duplicate"], repeated["notice"]) == (True, None)
    assert repeated["answered_run_ids"] == placed["run_ids"]
    answered = (await client.get(f"/api/events/{shipped['event_id']}")).json()["answered"]
    assert [run["run_id"] for run in answered] == placed["run_ids"]

    again = await send(client, {"type": "order_placed", "data": {"order_id": "o2"}})
    refunded = {"type": "order_refunded", "data": {"order_id": "o2"}}
    batch = await client.post("/api/events/batch", json={"events": [refunded]})
    assert batch.json()["results"][0]["notice"] is None
    assert batch.json()["results"][0]["ended_run_ids"] == again["run_ids"]
    assert (await run_of(client, again["run_ids"][0]))["status"] == "cancelled"
    unheard = await send(client, {"type": "order_shipped", "data": {"order_id": "o9"}})
    assert "'order_shipped'" in unheard["notice"]


async def test_an_event_only_started_runs_listen_to_is_told_none_was_there(
    client: httpx.AsyncClient,
) -> None:
    """Sent while no run waits, an event only a wait, an exit or a goal listens to was told
    no active workflow listens to its type, and to go publish one: no run was there."""
    converting = JOURNEY | {
        "workflow_id": "paying",
        "actions": [{"type": "log", "data": {"message": "hi"}}],
        "settings": {"goal": {"event": "order_paid", "match": {"order_id": "{{ order_id }}"}}},
    }
    for document in (JOURNEY, converting):
        assert (await client.post("/api/workflows", json=document)).status_code == 201
    shipped = await send(client, {"type": "order_shipped", "data": {"order_id": "o1"}})
    assert shipped["notice"] == (
        "No run was waiting for an event of type 'order_shipped': the event is stored and "
        "started nothing. Only started runs listen to it: runs of 'shipping' through a "
        "wait_for_event step (a run that reaches it later counts the event if the step's "
        "lookback reaches back to it)."
    )
    for event_type, way in (("order_refunded", "cancel_on"), ("order_paid", "goal")):
        reply = await client.post("/api/events/batch", json={"events": [{"type": event_type}]})
        notice = reply.json()["results"][0]["notice"]
        assert notice.startswith(f"No active workflow's trigger has events of type '{event_type}'")
        assert f"through settings.{way}" in notice


async def test_business_fields_at_the_top_level_are_told_to_go_under_data(
    client: httpx.AsyncClient,
) -> None:
    event = {"type": "signup", "email": "ada@example.com", "plan": "pro"}
    reply = await client.post("/api/events", json=event)
    assert reply.status_code == 422
    (detail,) = reply.json()["error"]["details"]
    assert detail == {
        "loc": ["body"],
        "msg": (
            "email, plan are not event fields: put an event's own fields under data "
            '({"type": ..., "data": {"email": ..., "plan": ...}}); the top level takes type, '
            "user, data, idempotency_key, timestamp"
        ),
    }
    batch = await client.post("/api/events/batch", json={"events": [{"type": "a", "plan": 1}]})
    assert batch.json()["error"]["details"][0]["loc"] == ["body", "events", 0]


@pytest.mark.parametrize(
    ("event", "said"),
    [
        (
            {"typ": "signup", "data": {}},
            "typ is not an event field (did you mean type?); the top level takes type, ",
        ),
        (
            {"type": "signup", "idempotencyKey": "k1", "date": "2026-12-08"},
            "idempotencyKey is not an event field (did you mean idempotency_key?); "
            'date is not an event field: put an event\'s own fields under data ({"type": ..., '
            '"data": {"date": ...}}); the top level takes ',
        ),
    ],
)
async def test_a_misspelt_event_field_is_told_the_field_it_reads_as(
    client: httpx.AsyncClient, event: dict[str, object], said: str
) -> None:
    # "typ" was told to go under data, and the missing type went unmentioned.
    reply = await client.post("/api/events", json=event)
    assert reply.status_code == 422
    (detail,) = reply.json()["error"]["details"]
    assert detail["msg"].startswith(said)


async def test_an_event_without_a_content_type_is_read_as_json(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/events", content=b'{"type": "signup", "data": {"a": 1}}')
    assert reply.status_code == 202, reply.text


@pytest.mark.parametrize(
    ("path", "body", "where", "loc"),
    [
        ("/api/events", b"[" * 100_000, "line 1 column 66", [0] * 65),
        (
            "/api/events",
            b'{"type": "x",\n "data": ' + b'{"a":' * 2000 + b"1" + b"}" * 2001,
            "line 2 column 330",
            ["data", *["a"] * 64],
        ),
        (
            "/api/events",
            b'{"type": "x", "data": {"n": 123456789012345678901234, "d": '
            + b"[" * 5000
            + b"]" * 5000
            + b"}}",
            "line 1 column 123",
            ["data", "d", *[0] * 63],
        ),
        (
            "/api/events",
            b'{"type": "x",\n "data": ' + b'{"a":' * 100 + b"1" + b"}" * 101,
            "line 2 column 330",
            ["data", *["a"] * 64],
        ),
        (
            "/api/events/batch",
            b'{"events": [{"type": "x"}, {"type": "x", "data": {"\\u00e9": '
            + b"[" * 100
            + b"]" * 100
            + b"}}]}",
            "line 1 column 122",
            ["events", 1, "data", "\u00e9", *[0] * 61],
        ),
        ("/api/workflows", b"[" * 100_000, "line 1 column 65", [0] * 64),
        (
            "/api/workflows",
            b'{"name": "w",\n "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
            "line 2 column 70",
            ["x", *[0] * 63],
        ),
        (
            "/api/workflows",
            b'{"name": "w",\n "x": ' + b"[" * 100 + b"]" * 100 + b"}",
            "line 2 column 70",
            ["x", *[0] * 63],
        ),
    ],
    ids=[
        "events-past-orjson",
        "events-in-data",
        "events-long-digits",
        "events-parsed-past-the-limit",
        "batch-escaped-key",
        "workflow-past-json5",
        "workflow",
        "workflow-parsed-past-the-limit",
    ],
)
async def test_json_nested_too_deep_is_a_422_at_its_path_line_and_column(
    client: httpx.AsyncClient, path: str, body: bytes, where: str, loc: list[str | int]
) -> None:
    reply = await client.post(path, content=body)
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "invalid_input"
    # Not "not valid JSON": deep JSON may be valid, and the sender would look for a typo.
    # It was located at the body, the field that goes too deep left for the reader to find.
    assert " nests deeper than the limit of 64 levels, at body." in error["message"]
    assert error["message"].endswith(f" ({where}).")
    assert error["details"] == [
        {"loc": ["body", *loc], "msg": f"{where}: nesting deeper than the limit of 64 levels"}
    ]


async def test_a_key_sent_again_with_another_event_is_told_so_a_true_repeat_is_not(
    client: httpx.AsyncClient,
) -> None:
    """A client reusing an idempotency key for a different order would have it dropped
    without a word: the duplicate's notice names the original event and what differs."""
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    first = {"type": "signup", "user": {"id": "u1"}, "data": {"order": 1}, "idempotency_key": "k1"}
    original = (await client.post("/api/events", json=first)).json()
    repeat = (await client.post("/api/events", json=first)).json()
    assert (repeat["duplicate"], repeat["notice"]) == (True, None)
    other = first | {"data": {"order": 2}}
    reply = (await client.post("/api/events", json=other)).json()
    assert (reply["duplicate"], reply["event_id"]) == (True, original["event_id"])
    assert reply["notice"] == (
        f"The idempotency key 'k1' was first sent with event {original['event_id']}, whose "
        "data differ from this one's: this event is not stored and started nothing. Give "
        "each event its own key."
    )
    batch = {"events": [first, first | {"type": "order", "user": {"id": "u2"}}]}
    results = (await client.post("/api/events/batch", json=batch)).json()["results"]
    assert results[0]["notice"] is None
    assert "whose type and user differ from this one's" in results[1]["notice"]
