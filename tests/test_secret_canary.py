"""A canary secret is planted, used by workflows that succeed and fail, and then looked for
everywhere a value could leak: every API reply, every log line, the store's files and Redis.
It must be found only where it was meant to go: the connector and the remote server."""

import json
import logging
import secrets
from typing import Any

import httpx
import pytest
import redis
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app import logs
from app.actions.registry import default_registry
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, send
from tests.engine.calls.test_secrets import Echo

# The canary's unique part: however the rest is escaped or encoded, a leak contains it.
TOKEN = f"canary-{secrets.token_hex(6)}"
# Characters that JSON, reprs and URLs each write differently.
CANARY = TOKEN + "+/=\"'"


def echo_request(request: Request) -> Response:
    """The remote side of the webhook calls: it repeats the request, headers included; on
    /reject with a 400, which fails the step with the body in its error."""
    body = {
        "headers": dict(request.headers),
        "query": request.query_string.decode(),
        "body": request.get_data(as_text=True),
    }
    status = 400 if request.path == "/reject" else 200
    return Response(json.dumps(body), status=status, content_type="application/json")


def custom(step: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": step,
        "type": "custom_action",
        "data": {"connector": "echo", "action": action, "params": params},
    }


def webhook(step: str, path: str) -> dict[str, Any]:
    """A real webhook_call with the secret in a header, the query and the body."""
    data = {
        "url": "{{ url }}" + path,
        "headers": {"Authorization": {"$secret": "CANARY"}},
        "query": {"key": {"$secret": "CANARY"}},
        "json": {"token": {"$secret": "CANARY"}},
    }
    return {"id": step, "type": "webhook_call", "data": data}


WORKFLOWS = {
    "succeeds": [
        custom("echoed", "echo", {"token": {"$secret": "CANARY"}}),
        webhook("called", "/hook"),
        {"id": "logged", "type": "log", "data": {"message": "{{ steps.called.output }}"}},
    ],
    "rejected": [webhook("rejected", "/reject")],
    "refused": [custom("refused", "fail", {"token": {"$secret": "CANARY"}})],
    "crashes": [custom("crashes", "crash", {"token": {"$secret": "CANARY"}})],
}


class Replies:
    """Every API reply the test sees."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.texts: list[str] = []

    async def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, path, **kwargs)
        self.texts.append(
            f"{method} {path} {response.status_code} {response.headers} {response.text}"
        )
        return response


async def test_a_canary_secret_never_leaks(
    client: httpx.AsyncClient,
    resources: Resources,
    settings: Settings,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request("/hook").respond_with_handler(echo_request)
    httpserver.expect_request("/reject").respond_with_handler(echo_request)
    echo = Echo()
    resources.registry.register(echo)
    api = Replies(client)
    assert (await api("PUT", "/api/secrets/CANARY", json={"value": CANARY})).status_code == 201
    config = {"key": {"$secret": "CANARY"}, "region": "eu"}
    assert (await api("PUT", "/api/integrations/echo", json={"config": config})).is_success
    for workflow_id, actions in WORKFLOWS.items():
        document = {
            "workflow_id": workflow_id,
            "name": workflow_id,
            "trigger": {"type": workflow_id},
            "actions": actions,
        }
        assert (await api("POST", "/api/workflows", json=document)).status_code == 201
    run_ids = []
    for workflow_id in WORKFLOWS:
        event = {"type": workflow_id, "data": {"url": httpserver.url_for("")}}
        run_ids += (await send(client, event))["run_ids"]
    registry = default_registry()
    registry.register(echo)
    await drain(settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]}), registry)

    # The canary did reach the connector, its configuration and the remote server.
    assert all(params["token"] == CANARY for params, _ in echo.calls)
    assert all(context.config["key"] == CANARY for _, context in echo.calls)
    assert [request.headers["Authorization"] for request, _ in httpserver.log] == [CANARY] * 2

    runs = {}
    for run_id in run_ids:
        run = (await api("GET", f"/api/runs/{run_id}")).json()
        runs[run["workflow_id"]] = run
    statuses = {workflow_id: run["status"] for workflow_id, run in runs.items()}
    assert statuses == {
        "succeeds": "completed",
        "rejected": "failed",
        "refused": "failed",
        "crashes": "failed",
    }
    # The remote side's echo came back (in an output, in an error), masked.
    assert runs["succeeds"]["outputs"]["called"]["output"]["body"]["query"] == "key=********"
    assert '"Authorization": "********"' in runs["rejected"]["error"]["message"]
    for workflow_id in WORKFLOWS:
        await api("GET", f"/api/workflows/logs?workflow_id={workflow_id}")
        await api("GET", f"/api/workflows/{workflow_id}")
        await api("POST", f"/api/workflows/{workflow_id}/test", json={"data": {"url": "x"}})
    for path in [
        "/api/runs",
        "/api/workflows/status",
        "/api/secrets",
        "/api/secrets/CANARY",
        "/api/integrations",
        "/api/integrations/echo",
        "/metrics",
    ]:
        assert (await api("GET", path)).status_code == 200, path

    assert not [text for text in api.texts if TOKEN in text]
    logged = [caplog.text, *(r.getMessage() + (r.exc_text or "") for r in caplog.records)]
    logged += [logs.JsonFormatter().format(record) for record in caplog.records]
    assert not [line for line in logged if TOKEN in line]
    assert "RuntimeError: bug while handling" in caplog.text  # the crash was logged, masked
    stored = list(settings.data_dir.glob("automator.db*"))
    assert not [path for path in stored if TOKEN.encode() in path.read_bytes()]
    assert not _in_redis(settings.redis_url)


def _in_redis(url: str | None) -> list[bytes]:
    client = redis.Redis.from_url(str(url))
    try:
        held = {key: repr(_read(client, key.decode())).encode() for key in client.scan_iter()}
        return [key for key, value in held.items() if TOKEN.encode() in value]
    finally:
        client.close()


def _read(client: redis.Redis, key: str) -> Any:
    """A key's value as stored, whatever its type (DUMP may compress it)."""
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"hash":
        return client.hgetall(key)
    if kind == b"zset":
        return client.zrange(key, 0, -1)
    if kind == b"list":
        return client.lrange(key, 0, -1)
    return client.smembers(key)
