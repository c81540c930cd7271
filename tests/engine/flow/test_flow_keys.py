"""Flow-control state in Redis is keyed by what events carry (a one-time code, a phone
number): through the API and a real arq worker, neither the value nor a plain hash of it,
which trying every code undoes, is in Redis, nor the value in the logs."""

import hashlib
import logging
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app.resources import Resources
from app.settings import Settings
from tests.conftest import send
from tests.engine.walk.test_runs import create, drain_until_finished, workflow

# Six characters: a plain SHA-256 of it is found among 36**6 in minutes. Letters outside
# a-f and lower case, so that no hex digest, ULID or timestamp in a dump or a log can hold
# it by chance (six digits were in some random bytes about once in 30,000 runs).
CODE = "7g3k9z"
KEYED = {"limit": 1, "period": 3600, "key": "{{ otp }}"}
SETTINGS: dict[str, Any] = {
    "concurrency": {"limit": 1, "key": "{{ otp }}"},
    "throttle": {**KEYED, "limit": 10},
    "rate_limit": KEYED,
    "frequency_cap": {**KEYED, "limit": 5, "actions": ["webhook_call"]},
}


async def everything_in_redis(resources: Resources) -> list[bytes]:
    """Every key in the test's Redis, and every value, member and field under it."""
    assert resources.engine is not None
    redis = resources.engine.queue.pool
    found: list[bytes] = []
    async for key in redis.scan_iter("*"):
        found.append(key)
        found.append(await redis.dump(key) or b"")
    return found


async def test_a_code_keying_flow_control_is_not_in_redis_nor_in_the_logs(
    client: httpx.AsyncClient,
    settings: Settings,
    resources: Resources,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    hook = {"id": "hook", "type": "webhook_call", "data": {"url": httpserver.url_for("/hook")}}
    await create(client, workflow([hook], **SETTINGS))
    event: dict[str, Any] = {"type": "signup", "user": {"id": "u1"}, "data": {"otp": CODE}}
    run_id = (await send(client, event))["run_ids"][0]
    again = await send(client, event)  # the rate limit keyed by the code still holds
    assert (again["run_ids"], list(again["skipped"])) == ([], ["wf"])
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_until_finished(client, allowed, [run_id])
    assert len(httpserver.log) == 1

    stored = await everything_in_redis(resources)
    flow = [key for key in stored if key.startswith(b"automator:flow:acme:")]
    kinds = {key.split(b":")[-2] for key in flow}
    assert kinds >= {b"rate", b"starts", b"messages"}, flow
    plain = hashlib.sha256(CODE.encode()).hexdigest()[:32].encode()
    assert [one for one in stored if CODE.encode() in one or plain in one] == []
    assert [r.getMessage() for r in caplog.records if CODE in r.getMessage()] == []
