"""Event ingestion at the edge: what is refused, with which error."""

import json

import httpx

from app.settings import Settings
from tests.conftest import drain

JSON = {"content-type": "application/json"}


async def test_events_refuse_values_no_store_can_keep(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/events", json={"type": "x", "data": {"n": 2**64}})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["loc"] == ["body", "data", "n"]
    # In the caller's words: no "Value error, " of pydantic's before them.
    assert detail["msg"] == "integer 18446744073709551616 is outside 64 bits (-2**63 .. 2**63-1)"
    message = response.json()["error"]["message"]
    assert message == f"The request is not valid: body.data.n: {detail['msg']}"
    response = await client.post("/api/events", json={"type": "x", "user": {"id": [1]}})
    assert response.json()["error"]["details"][0]["msg"] == "user.id must be a string or an integer"
    deep: dict[str, object] = {}
    for _ in range(100):
        deep = {"d": deep}
    assert (await client.post("/api/events", json={"type": "x", "data": deep})).status_code == 422


async def test_events_refuse_lone_surrogates_naming_the_field(client: httpx.AsyncClient) -> None:
    # Valid JSON escapes that decode to text no store can encode: a 500 before.
    for url, body, field in (
        ("/api/events", b'{"type": "x", "user": {"id": "\\ud800"}}', ["body", "user", "id"]),
        ("/api/events", b'{"type": "x", "data": {"s": "\\udfff"}}', ["body", "data", "s"]),
        (
            "/api/events/batch",
            b'{"events": [{"type": "x", "user": {"id": "\\ud800"}}]}',
            ["body", "events", 0, "user", "id"],
        ),
    ):
        response = await client.post(url, content=body, headers=JSON)
        assert response.status_code == 422, response.text
        detail = response.json()["error"]["details"][0]
        assert detail["loc"] == field
        assert "lone surrogate" in detail["msg"]


async def test_a_batch_checked_whole_still_names_the_event_and_field_at_fault(
    client: httpx.AsyncClient,
) -> None:
    # A batch's values are checked at once; when that finds a fault, the fields are
    # checked one by one, so the 422 names where it is.
    events: list[dict[str, object]] = [{"type": "x", "data": {"n": n}} for n in range(5)]
    events[3] = {"type": "x", "user": {"id": "u"}, "data": {"n": 2**64}}
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "events", 3, "data", "n"]
    # A field at the nesting limit passes, though with the batch around it the document
    # nests deeper than that.
    deep: dict[str, object] = {}
    for _ in range(63):
        deep = {"d": deep}
    events[3] = {"type": "x", "data": deep}
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 202, response.text
    events[3] = {"type": "x", "data": {"d": deep}}  # a level more
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 422
    assert "nesting deeper than the limit of 64 levels" in response.text


async def test_a_batchs_user_ids_are_refused_as_a_single_events_are(
    client: httpx.AsyncClient,
) -> None:
    # A batch whose events plainly pass EventIn's checks skips them; one that does not gets
    # the 422 those checks word.
    for user_id, words in (
        (True, "a string or an integer"),
        (1.5, "a string or an integer"),
        ("", "1 to 256 characters"),
        ("u" * 257, "1 to 256 characters"),
    ):
        events = [{"type": "x", "user": {"id": "u"}}, {"type": "x", "user": {"id": user_id}}]
        response = await client.post("/api/events/batch", json={"events": events})
        assert response.status_code == 422, user_id
        detail = response.json()["error"]["details"][0]
        assert detail["loc"] == ["body", "events", 1, "user"]
        assert words in detail["msg"]
    events = [{"type": "x", "user": {"id": 42}}, {"type": "x", "user": {"id": "u" * 256}}]
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 202, response.text
    listed = (await client.get("/api/events", params={"user_id": "42"})).json()["items"]
    assert [event["event_id"] for event in listed] == [response.json()["results"][0]["event_id"]]


async def test_a_batch_is_accepted_in_one_go_and_its_runs_complete(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = {
        "workflow_id": "greet",
        "name": "Greet",
        "trigger": {"type": "signup"},
        "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    events = [
        {"type": "signup", "user": {"id": "u1"}, "idempotency_key": "k1"},
        {"type": "signup", "user": {"id": "u1"}, "idempotency_key": "k1"},
        {"type": "page_view", "user": {"id": "u2"}},
        {"type": "signup", "user": {"id": "u3"}},
    ]
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [r["duplicate"] for r in results] == [False, True, False, False]
    assert results[1]["event_id"] == results[0]["event_id"]
    assert [len(r["run_ids"]) for r in results] == [1, 1, 0, 1]
    await drain(settings)
    for run_id in (results[0]["run_ids"][0], results[3]["run_ids"][0]):
        run = (await client.get(f"/api/runs/{run_id}")).json()
        assert run["status"] == "completed"
    assert run["vars"] == {"greeted": "u3"}


async def test_a_batchs_events_share_its_arrival_and_list_in_its_order(
    client: httpx.AsyncClient,
) -> None:
    # One request is received at one instant; its events' ids sort in the batch's order, so
    # the event log (newest first) shows them last to first, even within one millisecond.
    events = [{"type": "page_view", "user": {"id": f"u{n}"}, "data": {"n": n}} for n in range(40)]
    response = await client.post("/api/events/batch", json={"events": events})
    assert response.status_code == 202, response.text
    sent = [result["event_id"] for result in response.json()["results"]]
    listed = (await client.get("/api/events", params={"limit": 100})).json()["items"]
    assert [event["event_id"] for event in listed] == sent[::-1]
    assert len({event["received_at"] for event in listed}) == 1


async def test_a_batch_with_one_bad_event_or_too_many_accepts_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    document = {
        "workflow_id": "greet",
        "name": "Greet",
        "trigger": {"type": "signup"},
        "actions": [{"type": "log", "data": {"message": "hi"}}],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    bad = {"events": [{"type": "signup"}, {"type": "not a type!"}]}
    response = await client.post("/api/events/batch", json=bad)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][:4] == ["body", "events", 1, "type"]
    too_many = {"events": [{"type": "signup"}] * (settings.max_batch_events + 1)}
    response = await client.post("/api/events/batch", json=too_many)
    assert response.status_code == 422
    assert "over the limit of 1000" in response.json()["error"]["message"]
    assert (await client.get("/api/runs")).json()["items"] == []


async def test_an_events_timestamp_takes_iso_8601_only(client: httpx.AsyncClient) -> None:
    # A number was read as seconds since 1970, against the schema's date-time format.
    for stamp in (1700000000, "1700000000", "20261206x"):
        response = await client.post("/api/events", json={"type": "x", "timestamp": stamp})
        assert response.status_code == 422, response.text
        ((detail),) = response.json()["error"]["details"]
        assert detail["loc"] == ["body", "timestamp"]
        assert "ISO 8601" in detail["msg"]
    stamped = await client.post(
        "/api/events", json={"type": "x", "timestamp": "2026-12-06T09:30:00+01:00"}
    )
    assert stamped.status_code == 202, stamped.text


async def test_the_idempotency_key_header_keys_an_event_whose_body_has_none(
    client: httpx.AsyncClient,
) -> None:
    """HTTP clients made for Stripe-like APIs send the key as a header: ignored, a retry
    would start the order's runs twice."""
    keyed = {"Idempotency-Key": "order-77"}
    first = (await client.post("/api/events", json={"type": "x"}, headers=keyed)).json()
    again = (await client.post("/api/events", json={"type": "x"}, headers=keyed)).json()
    assert (again["duplicate"], again["event_id"]) == (True, first["event_id"])
    event = (await client.get(f"/api/events/{first['event_id']}")).json()
    assert event["idempotency_key"] == "order-77"
    both = {"type": "x", "idempotency_key": "order-77"}
    same = await client.post("/api/events", json=both, headers=keyed)
    assert same.json()["duplicate"] is True
    other = await client.post("/api/events", json=both | {"idempotency_key": "o-78"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["error"]["details"] == [
        {"loc": ["header", "Idempotency-Key"], "msg": "differs from body.idempotency_key"}
    ]
    long = await client.post(
        "/api/events", json={"type": "x"}, headers={"Idempotency-Key": "k" * 257}
    )
    assert long.status_code == 422
    batch = await client.post("/api/events/batch", json={"events": [{"type": "x"}]}, headers=keyed)
    assert batch.status_code == 422
    assert batch.json()["error"]["message"].startswith("An Idempotency-Key header keys one event")


async def test_a_bad_value_deep_in_data_is_located_at_its_field_without_its_neighbours(
    client: httpx.AsyncClient,
) -> None:
    """The 422 points at the value at fault (as an action's inputs do), for a single event
    and each event of a batch, and quotes no more of a huge key or value than ``shown``."""
    huge_key, huge_text = "k" * 100_000, "v" * 100_000
    data = {"pad": huge_text, "cart": {"items": [{"sku": "A1"}, {huge_key: float("nan")}]}}
    body = json.dumps({"type": "x", "data": data}).encode()  # NaN: JSON5, which the API reads
    where = ["data", "cart", "items", 1, f"{'k' * 100}… (100000 characters)"]
    single = await client.post("/api/events", content=body, headers=JSON)
    batch = await client.post(
        "/api/events/batch",
        content=b'{"events": [{"type": "ok"}, ' + body + b"]}",
        headers=JSON,
    )
    for response, loc in ((single, ["body", *where]), (batch, ["body", "events", 1, *where])):
        assert response.status_code == 422, response.text
        [detail] = response.json()["error"]["details"]
        assert detail == {"loc": loc, "msg": "non-finite number nan, which JSON cannot represent"}
        assert len(response.content) < 1000
