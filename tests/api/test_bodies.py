"""Bodies past PROCESS_BYTES are checked in another process, so the values' walk does not
hold the event loop's GIL: the answers are the same as for any body (202 with the event
stored whole, 422 naming the field, 422 with the line and column of malformed JSON), and a
checking process that dies is replaced."""

import multiprocessing
import os
import re
import signal
from typing import Any

import httpx
import orjson

from app.api.bodies import PROCESS_BYTES
from app.resources import Resources

JSON = {"Content-Type": "application/json"}
PAD = "x" * PROCESS_BYTES  # makes a body large without changing what is checked
POSITION = re.compile(r"line (?P<line>\d+) column (?P<column>\d+): ")


def checkers() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


async def test_a_large_event_is_checked_elsewhere_and_stored_whole(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    before = checkers()
    data = {"pad": PAD, "items": [{"sku": f"A{n}", "qty": n, "price": 1.5} for n in range(500)]}
    answer = await client.post("/api/events", json={"type": "bulk", "data": data})
    assert answer.status_code == 202, answer.text
    stored = await resources.store.get_event("acme", answer.json()["event_id"])
    assert stored.data == data
    assert checkers() - before  # a process of its own did the check


async def refusal(client: httpx.AsyncClient, body: bytes) -> dict[str, Any]:
    answer = await client.post("/api/events", content=body, headers=JSON)
    assert answer.status_code == 422, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


async def test_a_large_event_is_refused_as_a_small_one_is(client: httpx.AsyncClient) -> None:
    def event(pad: str) -> bytes:
        text = orjson.dumps({"type": "bulk", "data": {"pad": pad, "deep": {"n": 0}}})
        return text.replace(b'"n":0', b'"n":18446744073709551616')  # past 64 bits

    small, large = await refusal(client, event("x")), await refusal(client, event(PAD))
    assert large["details"] == small["details"]
    assert large["details"][0]["loc"] == ["body", "data"]
    assert "deep.n: integer 18446744073709551616 is outside 64 bits" in large["details"][0]["msg"]

    def malformed(pad: str) -> bytes:
        return b'{"type": "bulk",\n "data": {"pad": "' + pad.encode() + b'",}}'

    (small_detail,) = (await refusal(client, malformed("x")))["details"]
    (large_detail,) = (await refusal(client, malformed(PAD)))["details"]
    small_at = POSITION.match(small_detail["msg"])
    assert small_at is not None
    assert small_at["line"] == "2"
    column = int(small_at["column"]) + len(PAD) - 1  # the same place, further along the line
    assert large_detail["msg"].startswith(f"line 2 column {column}: ")


async def test_a_checking_process_that_died_is_replaced(client: httpx.AsyncClient) -> None:
    event = {"type": "bulk", "data": {"pad": PAD}}
    before = checkers()
    assert (await client.post("/api/events", json=event)).status_code == 202
    (first,) = checkers() - before
    os.kill(first, signal.SIGKILL)
    # The next large body finds the process gone: it is checked here meanwhile.
    assert (await client.post("/api/events", json=event)).status_code == 202
    assert (await client.post("/api/events", json=event)).status_code == 202
    (second,) = checkers() - before
    assert second != first
