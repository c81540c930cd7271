"""``POST /api/events`` and ``/api/events/batch`` are answered by the intake layer itself once
their body is in (``app.api.intake``'s ``direct``), not through the router: every answer must
be the one the router gives, byte for byte, errors included.

Each case is sent to two apps, one answering the ingest routes directly and one through the
router (the same app with ``direct`` left empty), on their own stores and a flushed Redis;
ids the service makes up are masked before the answers are compared.
"""

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from fastapi import FastAPI

from app.api.intake import RequestIntake
from app.main import create_app
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from app.tenancy import issue_key

Answer = tuple[int, dict[str, str], str]
Case = Callable[[httpx.AsyncClient, Resources], Awaitable[list[httpx.Response]]]
GENERATED = re.compile(r"\b(evt|run|key)_[0-9A-Za-z_-]+")
WORKFLOW = {
    "workflow_id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "signup"},
    "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
}


async def key(resources: Resources, role: Role = Role.ADMIN, **limits: Any) -> dict[str, str]:
    issued = await issue_key(resources.store, resources.clock, "acme", role, **limits)
    return {"Authorization": f"Bearer {issued.secret}"}


async def unheard(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    event = {"type": "order_placed", "user": {"id": "u1"}, "data": {"total": 42}}
    return [await client.post("/api/events", json=event, headers=await key(resources))]


async def heard(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    headers = await key(resources)
    published = await client.post("/api/workflows", json=WORKFLOW, headers=headers)
    assert published.status_code == 201, published.text
    event = {"type": "signup", "user": {"id": "u1"}}
    return [await client.post("/api/events", json=event, headers=headers)]


async def duplicate(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    headers = await key(resources)
    event = {"type": "order_placed", "idempotency_key": "order-1"}
    return [await client.post("/api/events", json=event, headers=headers) for _ in range(2)]


def body(content: bytes) -> Case:
    async def send(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
        headers = {**await key(resources), "Content-Type": "application/json"}
        return [await client.post("/api/events", content=content, headers=headers)]

    return send


def role(role: Role, **limits: Any) -> Case:
    async def send(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
        headers = await key(resources, role, **limits)
        return [await client.post("/api/events", json={"type": "x"}, headers=headers)]

    return send


async def no_key(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    bad = {"Authorization": "Bearer atm_not_a_key"}
    return [
        await client.post("/api/events", json={"type": "x"}, headers=bad),
        await client.post("/api/events", json={"type": "x"}),
    ]


async def studio(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    secret = (await key(resources))["Authorization"].removeprefix("Bearer ")
    signed_in = await client.post("https://automator/api/session", json={"api_key": secret})
    assert signed_in.status_code == 200, signed_in.text
    url = "https://automator/api/events"
    return [
        await client.post(url, json={"type": "x"}),
        await client.post(url, json={"type": "x"}, headers={"X-Automator-Client": "studio"}),
    ]


async def rate_limited(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
    headers = await key(resources)
    return [await client.post("/api/events", json={"type": "x"}, headers=headers) for _ in range(4)]


def batch(events: list[Any]) -> Case:
    async def send(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
        content = {"events": events}
        return [await client.post("/api/events/batch", json=content, headers=await key(resources))]

    return send


def too_large(chunked: bool) -> Case:
    async def send(client: httpx.AsyncClient, resources: Resources) -> list[httpx.Response]:
        content = b'{"type": "' + b"x" * 5000 + b'"}'

        async def in_chunks() -> Any:
            yield content[:1000]
            yield content[1000:]

        headers = await key(resources)
        sent = in_chunks() if chunked else content
        return [await client.post("/api/events", content=sent, headers=headers)]

    return send


CASES: dict[str, Case] = {
    "unheard, with the notice": unheard,
    "heard, starting a run": heard,
    "a duplicate by idempotency key": duplicate,
    "malformed JSON": body(b'{"type": "order_placed",\n  "data": {"total": 42,}}'),
    "not UTF-8": body(b'{"type": "order_placed", "data": {"name": "\xff"}}'),
    "a field's rule": body(b'{"type": "bad type!"}'),
    "business fields at the top": body(b'{"type": "x", "total": 42}'),
    "a 64-bit overflow": body(b'{"type": "x", "data": {"n": 99999999999999999999}}'),
    "not an object": body(b"[1, 2]"),
    "the viewer role": role(Role.VIEWER),
    "a key limited to a workflow": role(Role.ADMIN, workflows=["welcome"]),
    "no key or a bad one": no_key,
    "the Studio's session, with and without its header": studio,
    "over the rate limit": rate_limited,
    "a batch": batch([{"type": "signup"}, {"type": "x", "user": {"id": "u2"}}]),
    "a batch with one bad event": batch([{"type": "x"}, {"type": "bad type!"}]),
    "a batch over its size": batch([{"type": "x"}] * 4),
    "over the size limit": too_large(chunked=False),
    "over the size limit, chunked": too_large(chunked=True),
}


async def answers(app: FastAPI, case: Case) -> list[Answer]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            responses = await case(client, app.state.resources)
    return [
        (r.status_code, {k: v for k, v in r.headers.items() if k != "content-length"}, r.text)
        for r in responses
    ]


def masked(found: list[Answer]) -> list[Answer]:
    return [(status, headers, GENERATED.sub(r"\1_*", text)) for status, headers, text in found]


def routed(app: FastAPI) -> FastAPI:
    """``app`` answering every route through the router."""
    for middleware in app.user_middleware:
        if middleware.cls is cast(Any, RequestIntake):
            middleware.kwargs["direct"] = {}
    return app


@pytest.mark.parametrize("name", list(CASES))
async def test_direct_answers_are_the_routers(
    settings: Settings, redis_url: str, tmp_path: Path, name: str
) -> None:
    limits = {
        "rate_limit": 3,
        "rate_limit_window": 60,
        "max_batch_events": 3,
        "max_request_bytes": 4096,
    }
    found = []
    for side in ("router", "direct"):
        with redis.Redis.from_url(redis_url) as client:
            client.flushdb()
        data_dir = tmp_path / side
        data_dir.mkdir(mode=0o700)
        app = create_app(settings.model_copy(update={**limits, "data_dir": data_dir}))
        found.append(masked(await answers(routed(app) if side == "router" else app, CASES[name])))
    via_router, direct = found
    assert direct == via_router
    assert all(status != 500 for status, _, _ in direct)
