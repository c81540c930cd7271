"""How requests come in, at the edge every route shares: the key checked before the body
is read, the size limit whatever the transfer encoding, malformed JSON located, large
bodies a few at a time, 405 with ``Allow``, date-times in ISO 8601 only.

The body-reading tests drive the real app with raw ASGI messages, so they can see what it
reads and when: a client that has not sent its body yet is a receive that has not returned.
"""

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api.intake import LARGE_BODY_BYTES
from app.main import create_app
from app.models.tenant import Role
from app.settings import Settings
from tests.conftest import key_for

EVENT = b'{"type": "order_placed", "data": {"total": 42}}'


class Exchange:
    """One request sent to the app as raw ASGI: the body arrives only when ``release`` is
    called; ``reads`` counts the receives the app made."""

    def __init__(self, app: FastAPI, path: str, headers: dict[str, str], body: bytes) -> None:
        self.reads = 0
        self.reading = asyncio.Event()
        self.status: int | None = None
        self._body = body
        self._released = asyncio.Event()
        self._sent = False
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 1),
            "server": ("automator", 80),
            "app": app,
        }
        self.task = asyncio.create_task(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        self.reads += 1
        self.reading.set()
        if self._sent:
            await asyncio.Event().wait()  # the client stays connected, silent
        await self._released.wait()
        self._sent = True
        return {"type": "http.request", "body": self._body, "more_body": False}

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]

    def release(self) -> None:
        self._released.set()

    async def answered(self) -> int:
        await asyncio.wait_for(self.task, timeout=60)  # a guard against hanging, not a timing
        assert self.status is not None
        return self.status


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update={"max_large_bodies": 1}))
    async with app.router.lifespan_context(app):
        yield app


async def admin(app: FastAPI) -> dict[str, str]:
    key = await key_for(app.state.resources, "acme", Role.ADMIN)
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer atm_not_a_key"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
async def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(
    app: FastAPI, headers: dict[str, str]
) -> None:
    exchange = Exchange(app, "/api/events", headers, EVENT)
    assert await exchange.answered() == 401
    assert exchange.reads == 0


async def test_a_request_with_a_valid_key_has_its_body_read(app: FastAPI) -> None:
    exchange = Exchange(app, "/api/events", await admin(app), EVENT)
    exchange.release()
    assert await exchange.answered() == 202


async def test_large_bodies_wait_unread_for_a_slot(app: FastAPI) -> None:
    headers = await admin(app)
    big = b'{"type": "bulk", "data": {"blob": "' + b"x" * LARGE_BODY_BYTES + b'"}}'
    first = Exchange(app, "/api/events", headers, big)
    await first.reading.wait()  # the first holds the only slot, its body still on its way
    second = Exchange(app, "/api/events", headers, big)
    small = Exchange(app, "/api/events", headers, EVENT)
    small.release()
    assert await small.answered() == 202  # small bodies never wait
    assert second.reads == 0
    first.release()
    second.release()
    assert await first.answered() == 202
    assert await second.answered() == 202
    assert second.reads >= 1


@pytest.mark.parametrize("path", ["/api/events", "/api/triggers/test", "/api/workflows"])
@pytest.mark.parametrize("chunked", [False, True])
async def test_bodies_over_the_limit_are_413_whatever_the_route_and_encoding(
    settings: Settings, path: str, chunked: bool
) -> None:
    app = create_app(settings.model_copy(update={"max_request_bytes": 2048}))
    body = b'{"type": "' + b"x" * 4096 + b'"}'

    async def in_chunks() -> AsyncIterator[bytes]:
        yield body[:1000]
        yield body[1000:]

    async with app.router.lifespan_context(app):
        headers = await admin(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            content = in_chunks() if chunked else body
            response = await client.post(path, content=content, headers=headers)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "over the limit of 2048 bytes (AUTOMATOR_MAX_REQUEST_BYTES)" in error["message"]


@pytest.mark.parametrize("path", ["/api/events", "/api/events/batch", "/api/triggers/test"])
async def test_malformed_json_is_422_naming_line_and_column(
    client: httpx.AsyncClient, path: str
) -> None:
    body = b'{"type": "order_placed",\n  "data": {"total": 42,}}'
    headers = {"Content-Type": "application/json"}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == "The body is not valid JSON."
    ((detail),) = error["details"]
    assert detail["loc"] == ["body"]
    assert detail["msg"].startswith("line 2 column 24: ")


async def test_an_event_body_that_is_not_utf8_is_422(client: httpx.AsyncClient) -> None:
    body = b'{"type": "order_placed", "data": {"name": "\xff"}}'
    response = await client.post("/api/events", content=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "The body is not valid JSON."


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/api/events", "GET, POST"),
        ("PUT", "/api/events", "GET, POST"),
        ("TRACE", "/api/keys", "GET, POST"),
        ("PATCH", "/api/secrets/ERP_KEY", "DELETE, GET, PUT"),
        ("PATCH", "/api/workflows/crm", "DELETE, GET, PUT"),
        ("POST", "/health", "GET"),
    ],
)
async def test_405_answers_name_every_method_the_path_takes(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    # Was "Method Not Allowed" alone.
    assert error["message"] == f"{method} is not allowed on {path}: it takes {allowed}."


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/runs", "since"),
        ("/api/runs", "until"),
        ("/api/stats", "until"),
        ("/api/profiles", "seen_after"),
        ("/api/audit", "since"),
    ],
)
@pytest.mark.parametrize("value", ["1700000000", "1700000000.5", "20261206x", "yesterday"])
async def test_date_time_parameters_take_iso_8601_only(
    client: httpx.AsyncClient, path: str, name: str, value: str
) -> None:
    response = await client.get(path, params={name: value})
    assert response.status_code == 422, response.text
    ((detail),) = response.json()["error"]["details"]
    assert detail["loc"] == ["query", name]
    assert "ISO 8601" in detail["msg"]


@pytest.mark.parametrize(
    "value", ["2026-12-06T09:30:00Z", "2026-12-06t09:30:00.250+01:00", "2026-12-06", "20261206"]
)
async def test_iso_8601_date_times_are_accepted(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get("/api/runs", params={"since": value})
    assert response.status_code == 200, response.text
