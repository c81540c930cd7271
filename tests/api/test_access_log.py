"""The access line of each HTTP request (``automator api`` and ``dev`` write it themselves,
not uvicorn): uvicorn's logger name and message, the request's ids, secrets masked, and the
logging module's filters, levels and handlers applying to it as to uvicorn's own line."""

import asyncio
import contextlib
import io
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from app import logs
from app.api.access import AccessLog
from app.processes import uvicorn_config
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


class Quiet(uvicorn.Server):
    """uvicorn's server, leaving the test process's signal handlers alone."""

    def capture_signals(self) -> Any:
        return contextlib.nullcontext()


@pytest.fixture
def access_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """``uvicorn.access`` as it was, after the test."""
    monkeypatch.setattr(logs.ACCESS, "handlers", list(logs.ACCESS.handlers))
    monkeypatch.setattr(logs.ACCESS, "filters", list(logs.ACCESS.filters))


@contextlib.asynccontextmanager
async def served() -> AsyncIterator[httpx.AsyncClient]:
    """The app behind uvicorn on 127.0.0.1, configured as ``automator api`` configures it."""
    server = Quiet(uvicorn_config(AccessLog(accepting), log_level="info", lifespan="off"))
    bound = socket.create_server(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[bound]))
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{bound.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            yield client
    finally:
        server.should_exit = True
        await serving
        bound.close()


class NoHealthChecks(logging.Filter):
    """The usual recipe for uvicorn: the record's arguments are uvicorn's (client, method,
    path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != "uvicorn.access" or record.args[2] != "/health"  # type: ignore[index]


def paths(stream: io.StringIO) -> list[str]:
    """The paths of the access lines written."""
    return [
        line["message"].split()[3] for line in lines(stream) if line["logger"] == "uvicorn.access"
    ]


@pytest.mark.usefixtures("access_logger")
async def test_a_filter_on_uvicorns_access_logger_drops_the_lines_it_refuses(
    stderr: io.StringIO,
) -> None:
    logs.ACCESS.addFilter(NoHealthChecks())
    async with served() as client:
        for path in ("/health", "/api/events", "/health"):
            await client.get(path)
    assert paths(stderr) == ["/api/events"]


@pytest.mark.usefixtures("access_logger")
async def test_a_level_on_uvicorns_access_logger_silences_its_lines(stderr: io.StringIO) -> None:
    async with served() as client:
        logs.ACCESS.setLevel(logging.WARNING)
        await client.get("/api/events")
    assert paths(stderr) == []
    assert "Shutting down" in stderr.getvalue()  # other loggers' lines still go out


@pytest.mark.usefixtures("access_logger")
async def test_a_handler_on_uvicorns_access_logger_gets_each_line_and_filters_apply(
    stderr: io.StringIO,
) -> None:
    kept = io.StringIO()
    own = logging.StreamHandler(kept)
    own.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logs.ACCESS.addHandler(own)
    logging.getLogger().handlers[0].addFilter(NoHealthChecks())
    async with served() as client:
        for path in ("/health", "/api/events"):
            await client.get(path)
    assert [line.split()[4] for line in kept.getvalue().splitlines()] == ["/health", "/api/events"]
    assert kept.getvalue().startswith("uvicorn.access 127.0.0.1:")
    assert paths(stderr) == ["/api/events"]
