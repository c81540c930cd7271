"""The access line of each HTTP request (``automator api`` and ``dev`` write it themselves,
not uvicorn): uvicorn's logger name and message, the request's ids, secrets masked."""

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app import logs
from app.api.access import AccessLog
from app.redaction import MASK


async def accepting(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that binds ids as an authenticated request does, then answers 202."""
    logs.bind(tenant_id="acme", key_id="key_1")
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The service's log set-up (``logs.configure``), writing to a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    levels = root.level, logs.ACCESS.level
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(sys, "stderr", stream)
    logs.ACCESS.setLevel(logging.NOTSET)
    logs.configure("info", "json")
    yield stream
    # setLevel, not monkeypatch: it also clears the loggers' cached levels.
    root.setLevel(levels[0])
    logs.ACCESS.setLevel(levels[1])


async def post(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=AccessLog(accepting), client=("10.0.0.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_each_request_writes_uvicorns_line_with_its_ids(stderr: io.StringIO) -> None:
    assert (await post('/api/events?source="web"')).status_code == 202
    (line,) = lines(stderr)
    assert line["logger"] == "uvicorn.access"
    assert line["level"] == "info"
    assert line["message"] == '10.0.0.7:4321 - "POST /api/events?source=%22web%22 HTTP/1.1" 202'
    assert (line["tenant_id"], line["key_id"]) == ("acme", "key_1")
    assert line["time"].endswith("+00:00")


async def test_a_key_in_the_query_is_masked(stderr: io.StringIO) -> None:
    await post("/api/events?key=atm_Zx8mQ1w2e3r4t5y6u7i8o9p0")
    (line,) = lines(stderr)
    assert "atm_Zx8" not in stderr.getvalue()
    assert line["message"].endswith(f'"POST /api/events?key={MASK} HTTP/1.1" 202')


async def test_above_info_no_line_is_written(stderr: io.StringIO) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    await post("/api/events")
    assert stderr.getvalue() == ""


async def test_other_handlers_get_the_line_as_a_record(
    stderr: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await post("/api/events")
    (record,) = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert record.getMessage() == '10.0.0.7:4321 - "POST /api/events HTTP/1.1" 202'
    assert len(lines(stderr)) == 1
