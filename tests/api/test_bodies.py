"""Bodies past INLINE_BYTES are parsed in a thread, and values past jsonc.WALK_LIMIT checked
a level at a time in C rather than walked: the answers are the same as for any body (202
with the event stored whole, 422 naming the field, 422 with the line and column of
malformed JSON)."""

import asyncio
import gc
import re
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from app.api.bodies import INLINE_BYTES
from app.models import jsonc
from app.resources import Resources
from app.settings import Settings
from tests.api.test_operator import OPERATOR
from tests.api.test_operator import TOKEN as OPERATOR_TOKEN
from tests.clock import ShiftedClock
from tests.conftest import as_admin, serving

JSON = {"Content-Type": "application/json"}
PAD = "x" * INLINE_BYTES  # makes a body large without changing what is checked
# Values enough that the check stops walking them (each record is four).
ITEMS = [{"sku": f"A{n}", "qty": n, "price": 1.5} for n in range(jsonc.WALK_LIMIT // 2)]
POSITION = re.compile(r"line (?P<line>\d+) column (?P<column>\d+): ")


async def test_a_large_event_is_stored_whole(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    data = {"pad": PAD, "items": ITEMS, "edges": [2**63 - 1, -(2**63), 9.2e18, "\U0001f600"]}
    answer = await client.post("/api/events", json={"type": "bulk", "data": data})
    assert answer.status_code == 202, answer.text
    stored = await resources.store.get_event("acme", answer.json()["event_id"])
    assert stored.data == data


async def refusal(client: httpx.AsyncClient, body: bytes) -> dict[str, Any]:
    answer = await client.post("/api/events", content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"18446744073709551616", "integer 18446744073709551616 is outside 64 bits"),
        (b"9223372036854775808", "integer 9223372036854775808 is outside 64 bits"),
        (b"-9223372036854775809", "integer -9223372036854775809 is outside 64 bits"),
        (b"1e20", "whole number 1e+20 is outside 64 bits"),
        (b"NaN", "non-finite number nan"),
        (b'"\\ud800"', "text that is not valid Unicode"),
    ],
)
async def test_a_large_event_is_refused_as_a_small_one_is(
    client: httpx.AsyncClient, value: bytes, reason: str
) -> None:
    def event(pad: str, items: list[Any]) -> bytes:
        # deep first: the walk takes it last, once it has handed the rest to the C check.
        data = {"deep": {"n": 0}, "pad": pad, "items": items}
        return orjson.dumps({"type": "bulk", "data": data}).replace(b'"n":0', b'"n":' + value)

    small, large = await refusal(client, event("x", [])), await refusal(client, event(PAD, ITEMS))
    assert large["details"] == small["details"]
    assert large["details"][0]["loc"] == ["body", "data", "deep", "n"]
    assert reason in large["details"][0]["msg"]


@pytest.mark.parametrize("lists", [jsonc.MAX_DEPTH - 1, jsonc.MAX_DEPTH])
async def test_a_large_event_nested_too_deep_is_refused_where_it_passes_the_limit(
    client: httpx.AsyncClient, lists: int
) -> None:
    def event(pad: str, items: list[Any], depth: int) -> bytes:
        deep: Any = 1
        for _ in range(depth):
            deep = [deep]
        return orjson.dumps({"type": "bulk", "data": {"deep": deep, "pad": pad, "items": items}})

    # data is one level, its lists the others, their item the last: 62 lists fit.
    fits = event(PAD, ITEMS, jsonc.MAX_DEPTH - 2)
    assert (await client.post("/api/events", content=fits, headers=JSON)).status_code == 202
    small = await refusal(client, event("x", [], lists))
    large = await refusal(client, event(PAD, ITEMS, lists))
    assert large["details"] == small["details"]
    # The body is one level more: past the limit, the 64th list's bracket, or the item
    # where it would be.
    where = 1 + len(b'{"type":"bulk","data":{"deep":') + jsonc.MAX_DEPTH - 1
    assert large["details"][0]["msg"] == f"line 1 column {where}: {jsonc.TOO_DEEP}"


async def test_large_malformed_json_is_located_as_small(client: httpx.AsyncClient) -> None:
    def malformed(pad: str) -> bytes:
        return b'{"type": "bulk",\n "data": {"pad": "' + pad.encode() + b'",}}'

    (small_detail,) = (await refusal(client, malformed("x")))["details"]
    (large_detail,) = (await refusal(client, malformed(PAD)))["details"]
    small_at = POSITION.match(small_detail["msg"])
    assert small_at is not None
    assert small_at["line"] == "2"
    column = int(small_at["column"]) + len(PAD) - 1  # the same place, further along the line
    assert large_detail["msg"].startswith(f"line 2 column {column}: ")


@pytest.mark.parametrize(
    "fault",
    [b'"n":18446744073709551616', b'"n":"\\ud800"', b'"n":[' * 70, b'"n":nope'],
    ids=["big integer", "lone surrogate", "too deep", "malformed"],
)
async def test_a_refused_large_event_leaves_no_cycle_holding_it(
    client: httpx.AsyncClient, fault: bytes
) -> None:
    # `automator api` and `dev` let 200,000 objects pile up between collections
    # (API_YOUNG_OBJECTS_PER_COLLECTION, app/processes.py): a refusal whose exceptions kept
    # the body's frames in a reference cycle held megabytes each, for thousands of refusals
    # (gigabytes), whatever AUTOMATOR_MAX_LARGE_BODIES.
    body = orjson.dumps({"type": "bulk", "data": {"pad": "x" * 2**20, "n": 0}})
    body = body.replace(b'"n":0', fault)
    # The thread that parsed a refusal holds it until its call has returned, which the
    # event loop, woken by the call's end, often outran: 3 MB more counted at random. With
    # one thread, a call through it after the refusals starts once theirs are over.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1))
    await refusal(client, body)  # anything imported or cached on the way is there now
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        held = []
        for _ in range(2):
            for _ in range(3):
                await refusal(client, body)
            await asyncio.to_thread(int)
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        gc.enable()
    assert held[1] - held[0] < len(body), f"{held}: three refusals more held that much more"


# The JSON routes that read their body themselves and answer otherwise: a document checked
# answers in its result, and a hook's delivery is taken as sent (its signature covers it).
READ_AS_SENT = {("post", "/api/workflows/validate"), ("post", "/hooks/{hook_id}")}
TOO_DEEP = re.compile(
    r"The (body|document) nests deeper than the limit of 64 levels, at body\.x\.0\."
)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_every_json_route_refuses_a_body_too_deep_to_parse_where_it_gets_too_deep(
    settings: Settings, clock: ShiftedClock
) -> None:
    """Past the standard parser's recursion (1,000 levels), the routes whose body FastAPI
    parses answered "The body could not be read ... send UTF-8 JSON"."""
    operated = settings.model_copy(update={"operator_token": SecretStr(OPERATOR_TOKEN)})
    async with serving(operated, clock) as (client, resources):
        await as_admin(client, resources)
        paths = (await client.get("/openapi.json")).json()["paths"]
        routes = [
            (method, template)
            for template, operations in paths.items()
            for method, operation in operations.items()
            if "application/json" in operation.get("requestBody", {}).get("content", {})
            and (method, template) not in READ_AS_SENT
        ]
        assert len(routes) > 30
        for method, template in routes:
            path = re.sub(r"\{[^}]+\}", "x", template)
            headers = JSON | (OPERATOR if template.startswith("/api/operator/") else {})
            body = b'{"x": ' + nested(2000) + b"}"
            answer = await client.request(method, path, content=body, headers=headers)
            assert answer.status_code == 422, (method, template, answer.text)
            error = answer.json()["error"]
            # A workflow document counts its levels from the document, a body from the body.
            assert TOO_DEEP.match(error["message"]), (method, template, error["message"])
            loc = error["details"][0]["loc"]
            assert loc[:2] == ["body", "x"], (method, template, loc)
            assert set(loc[2:]) == {0}, (method, template, loc)


async def test_a_free_form_field_nesting_past_the_limit_is_refused_at_its_place(
    client: httpx.AsyncClient,
) -> None:
    """A model's free-form field (the rule tester's payload) took any depth FastAPI could
    parse: the same body as an event's data passing the limit was a 200."""
    conditions = b'{"conditions": [{"field": "a", "operator": "exists"}],\n "payload": {"x": '
    at_the_limit = conditions + nested(63) + b"}}"
    answer = await client.post("/api/rules/test", content=at_the_limit, headers=JSON)
    assert answer.status_code == 200, answer.text
    past_it = conditions + nested(64) + b"}}"
    answer = await client.post("/api/rules/test", content=past_it, headers=JSON)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["message"] == (
        "The body nests deeper than the limit of 64 levels, at body.payload.x.0.0.0.0.0.0.0."
        f"{'0.' * 55}0 (line 2 column 82)."
    )
    assert error["details"] == [
        {
            "loc": ["body", "payload", "x", *[0] * 63],
            "msg": "line 2 column 82: nesting deeper than the limit of 64 levels",
        }
    ]
