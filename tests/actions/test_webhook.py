"""``webhook_call``: end to end through the API and a real worker to a local HTTP server on
127.0.0.1, and the connector called directly for the finer points. Every signature is
checked here by recomputing the HMAC as a receiver would, not with the connector's code."""

import asyncio
import base64
import gzip
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from werkzeug.datastructures import Headers

from app.actions.base import ActionContext, ConnectorError, Services
from app.actions.net import http_client
from app.actions.webhook import WebhookConnector, signature_headers
from app.settings import Settings
from tests.actions.test_http11 import LARGE, Impatient
from tests.conftest import drain, send

CONNECTORS_PAGE = Path(__file__).parents[2] / "docs" / "connectors.md"
SECRET = "whsec_" + base64.b64encode(b"a key shared with the receiver").decode()
ORDER = {
    "type": "purchase_completed",
    "user": {"id": "u1"},
    "data": {"order_id": "o-1", "total": 42},
}


@dataclass
class Received:
    headers: Headers
    body: bytes


def verified(request: Received, secret: str = SECRET) -> bool:
    """What a receiver does: HMAC-SHA256 over ``id.timestamp.body`` with the decoded key,
    compared with each ``v1`` signature, and the timestamp within its tolerance."""
    message_id, stamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{stamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [
        value.split(",", 1)[1]
        for value in request.headers["webhook-signature"].split()
        if value.startswith("v1,")
    ]
    fresh = abs(time.time() - int(stamp)) < 300
    return fresh and any(hmac.compare_digest(expected, value) for value in offered)


class Endpoint:
    """A local endpoint answering with the given responses in turn, recording requests."""

    def __init__(self, server: HTTPServer, *answers: Response) -> None:
        self.received: list[Received] = []
        self._answers = iter(answers)
        server.expect_request("/hook").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.received.append(Received(Headers(request.headers), request.get_data()))
        return next(self._answers)


def ok(body: Any = None) -> Response:
    return Response(json.dumps(body or {"received": True}), content_type="application/json")


def hook_workflow(data: dict[str, Any], retry: dict[str, Any] | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"id": "hook", "type": "webhook_call", "data": data}
    if retry:
        action["retry"] = retry
    return {
        "workflow_id": "notify_crm",
        "name": "Notify the CRM",
        "trigger": {"type": "purchase_completed"},
        "actions": [action],
    }


def order_hook(server: HTTPServer, **extra: Any) -> dict[str, Any]:
    body = {"order": "{{order_id}}", "total": "{{total}}"}
    return {"url": server.url_for("/hook"), "json": body, "signing_secret": SECRET, **extra}


async def run_hook(
    client: httpx.AsyncClient,
    settings: Settings,
    data: dict[str, Any],
    allowed: list[str],
    retry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Save the workflow, send the order event, work it off; the run as the API shows it."""
    created = await client.post("/api/workflows", json=hook_workflow(data, retry))
    assert created.status_code == 201, created.text
    (run_id,) = (await send(client, ORDER))["run_ids"]
    await drain(settings.model_copy(update={"http_allowed_hosts": allowed, "delay_scale": 0.001}))
    run: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
    return run


async def test_a_webhook_to_a_local_server_not_allow_listed_fails_and_sends_nothing(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    endpoint = Endpoint(httpserver, ok())
    run = await run_hook(client, settings, order_hook(httpserver), allowed=[])
    assert run["status"] == "failed"
    message = (
        "refused to connect to 127.0.0.1: it is a loopback address; "
        "allow it with AUTOMATOR_HTTP_ALLOWED_HOSTS=127.0.0.1 in the service's environment"
    )
    assert run["error"] == {"step_id": "hook", "message": message, "retryable": False}
    assert [step["status"] for step in run["steps"]] == ["failed"]
    assert endpoint.received == []
    assert httpserver.log == []


async def test_an_allow_listed_webhook_arrives_signed_with_the_idempotency_key(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    endpoint = Endpoint(httpserver, ok({"crm_id": 7}))
    run = await run_hook(client, settings, order_hook(httpserver), allowed=["127.0.0.1"])
    assert run["status"] == "completed", run["error"]
    (request,) = endpoint.received
    assert request.body == b'{"order":"o-1","total":42}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == f"{run['run_id']}:hook:0"
    assert request.headers["Webhook-Id"] == request.headers["Idempotency-Key"]
    assert verified(request)
    assert not verified(request, "whsec_" + base64.b64encode(b"another key").decode())
    output = run["steps"][0]["output"]
    assert output["status"] == 200
    assert output["body"] == {"crm_id": 7}
    assert output["headers"]["content-type"] == "application/json"


async def test_a_url_with_a_query_string_arrives_with_it(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    Endpoint(httpserver, ok())
    data = order_hook(httpserver)
    data["url"] += "?token=abc&scope=a%20b"
    run = await run_hook(client, settings, data, allowed=["127.0.0.1"])
    assert run["status"] == "completed", run["error"]
    ((request, _),) = httpserver.log
    assert request.query_string == b"token=abc&scope=a%20b"


async def test_a_503_is_retried_with_the_same_idempotency_key_and_webhook_id(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    endpoint = Endpoint(httpserver, Response("busy", status=503), ok())
    run = await run_hook(client, settings, order_hook(httpserver), allowed=["127.0.0.1"])
    assert run["status"] == "completed", run["error"]
    assert [(s["attempt"], s["status"]) for s in run["steps"]] == [
        (1, "retrying"),
        (2, "completed"),
    ]
    assert run["steps"][0]["error"] == {
        "message": "POST to 127.0.0.1 answered 503: busy",
        "retryable": True,
    }
    first, second = endpoint.received
    key = f"{run['run_id']}:hook:0"
    assert [r.headers["Idempotency-Key"] for r in (first, second)] == [key, key]
    assert [r.headers["Webhook-Id"] for r in (first, second)] == [key, key]
    assert verified(first)
    assert verified(second)


async def test_a_4xx_fails_the_step_at_once_naming_the_answer(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    endpoint = Endpoint(httpserver, Response("order_id is unknown", status=422))
    run = await run_hook(client, settings, order_hook(httpserver), allowed=["127.0.0.1"])
    assert run["status"] == "failed"
    assert run["error"]["message"] == "POST to 127.0.0.1 answered 422: order_id is unknown"
    assert len(endpoint.received) == 1


async def test_a_redirect_to_a_refused_address_is_refused(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    # 2130706434 is 127.0.0.2: loopback, outside the allow-listed 127.0.0.1/32.
    elsewhere = Response(status=307, headers={"Location": f"http://2130706434:{httpserver.port}/"})
    endpoint = Endpoint(httpserver, elsewhere)
    run = await run_hook(client, settings, order_hook(httpserver), allowed=["127.0.0.1/32"])
    assert run["status"] == "failed"
    assert run["error"]["message"] == (
        "refused to connect to 2130706434: it resolves to 127.0.0.2, a loopback address; "
        "allow it with AUTOMATOR_HTTP_ALLOWED_HOSTS=2130706434 in the service's environment"
    )
    assert len(endpoint.received) == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"json": {}}, "data.url: 'url' is a required property"),
        (
            {"url": "ftp://files.example/x"},
            "data.url: 'ftp://files.example/x' is not an http:// or https:// URL",
        ),
        (
            # Quoted as written: not filled in as the message's own placeholder.
            {"url": "ftp://{type}.example/{problem}"},
            "data.url: 'ftp://{type}.example/{problem}' is not an http:// or https:// URL",
        ),
        (
            {"url": "http://hooks.example:99999/"},
            "data.url: 'http://hooks.example:99999/' is not an http:// or https:// URL with a "
            "port from 1 to 65535, or none for the scheme's default",
        ),
        ({"url": "https://hooks.example", "method": "FETCH"}, "data.method: 'FETCH' is not one of"),
        ({"url": "https://hooks.example", "timeout": 0}, "data.timeout: 0 is less than or equal"),
        (
            {"url": "https://hooks.example", "headers": {"X-Count": 3}},
            "data.headers.X-Count: 3 is not of type 'string'",
        ),
        (
            {"url": "https://hooks.example", "json": {}, "body": "x"},
            "data.body: 'x' is expected to be empty",
        ),
        (
            {"url": "https://hooks.example", "verb": "POST"},
            "data: Additional properties are not allowed ('verb'",
        ),
    ],
)
async def test_bad_webhook_data_is_refused_when_the_workflow_is_saved(
    client: httpx.AsyncClient, data: dict[str, Any], problem: str
) -> None:
    response = await client.post("/api/workflows", json=hook_workflow(data))
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    # Located at the field the problem is about, as the Studio highlights it.
    assert detail["loc"][:2] == ["actions", 0]
    field = ".".join(map(str, detail["loc"][2:]))
    assert f"{field}: {detail['msg']}".startswith(problem), detail


@pytest.mark.parametrize("url", ["http://hooks.example:0/", "https://[::1]:065536?x=1"])
async def test_validate_names_a_port_out_of_range_and_what_to_write(
    client: httpx.AsyncClient, url: str
) -> None:
    checked = await client.post("/api/workflows/validate", json=hook_workflow({"url": url}))
    assert checked.json()["valid"] is False
    (detail,) = checked.json()["error"]["details"]
    assert detail["loc"] == ["actions", 0, "data", "url"]
    assert detail["msg"].startswith(f"{url!r} is not an http:// or https:// URL with")
    assert "port from 1 to 65535, or none" in detail["msg"]


@pytest.mark.parametrize(
    "url", ["https://hooks.example:65535/a:99999?b=:0", "http://user:99999@[::1]:1/"]
)
async def test_a_port_in_range_and_colons_past_the_host_are_valid(
    client: httpx.AsyncClient, url: str
) -> None:
    checked = await client.post("/api/workflows/validate", json=hook_workflow({"url": url}))
    assert checked.json()["valid"] is True, checked.text


async def test_templated_webhook_data_is_checked_when_it_runs(client: httpx.AsyncClient) -> None:
    data = {"url": "{{ vars.url }}", "signing_secret": {"$secret": "CRM_SIGNING"}}
    response = await client.post("/api/workflows", json=hook_workflow(data))
    assert response.status_code == 201, response.text


def test_signatures_match_the_standard_webhooks_test_vector() -> None:
    # The vector the Standard Webhooks reference libraries test against.
    headers = signature_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"])) as client:
        yield client


def context(http: httpx.AsyncClient, config: dict[str, Any] | None = None) -> ActionContext:
    return ActionContext(
        tenant_id="acme",
        run_id="r1",
        step_id="hook",
        idempotency_key="r1:hook:0",
        attempt=1,
        config=config or {},
        services=Services(http=http),
    )


@pytest.fixture
def connector() -> WebhookConnector:
    return WebhookConnector()


async def test_the_connector_configuration_can_hold_the_signing_secret(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    endpoint = Endpoint(httpserver, ok())
    params = {"url": httpserver.url_for("/hook"), "body": "plain text"}
    await connector.execute("webhook_call", params, context(http, {"signing_secret": SECRET}))
    (request,) = endpoint.received
    assert request.body == b"plain text"
    assert request.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert verified(request)


async def test_a_raw_secret_signs_with_its_own_bytes(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    endpoint = Endpoint(httpserver, ok())
    params = {"url": httpserver.url_for("/hook"), "json": [1], "signing_secret": "plain-secret"}
    await connector.execute("webhook_call", params, context(http))
    (request,) = endpoint.received
    raw_as_base64 = "whsec_" + base64.b64encode(b"plain-secret").decode()
    assert verified(request, raw_as_base64)


async def test_headers_query_and_method_are_sent_and_ours_cannot_be_overridden(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    endpoint = Endpoint(httpserver, Response("done", content_type="text/plain"))
    params = {
        "url": httpserver.url_for("/hook"),
        "method": "put",
        "headers": {"X-Tenant": "acme", "idempotency-key": "mine"},
        "query": {"page": 2, "full": True, "q": "a b"},
    }
    output = await connector.execute("webhook_call", params, context(http))
    assert output["status"] == 200
    assert output["body"] == "done"
    (request,) = endpoint.received
    assert request.headers["X-Tenant"] == "acme"
    assert request.headers["Idempotency-Key"] == "r1:hook:0"
    assert "webhook-signature" not in request.headers
    (logged, _), *_ = httpserver.log
    assert logged.method == "PUT"
    assert logged.args.to_dict() == {"page": "2", "full": "true", "q": "a b"}


async def test_query_merges_into_the_urls_query_string_and_wins_per_name(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    Endpoint(httpserver, ok())
    url = httpserver.url_for("/hook") + "?token=abc&v=1&v=3&scope=a%20b"
    params = {"url": url, "query": {"v": 2, "page": "next one"}}
    await connector.execute("webhook_call", params, context(http))
    ((request, _),) = httpserver.log
    # The URL's own parameters keep their spelling and order; `v` is replaced, not repeated.
    assert request.query_string == b"token=abc&scope=a%20b&v=2&page=next+one"
    assert request.args.to_dict(flat=False) == {
        "token": ["abc"],
        "scope": ["a b"],
        "v": ["2"],
        "page": ["next one"],
    }


async def test_429_is_retryable_after_the_wait_the_server_asks_for(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    Endpoint(httpserver, Response("slow down", status=429, headers={"Retry-After": "30"}))
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", {"url": httpserver.url_for("/hook")}, context(http))
    assert caught.value.retryable
    assert caught.value.retry_after == 30
    assert caught.value.message == "POST to 127.0.0.1 answered 429: slow down"


async def test_a_network_error_is_retryable(
    http: httpx.AsyncClient, connector: WebhookConnector, closed_port: int
) -> None:
    closed = f"http://127.0.0.1:{closed_port}/hook"
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", {"url": closed}, context(http))
    assert caught.value.retryable
    assert caught.value.message.startswith("POST to 127.0.0.1 failed: ConnectError")


async def test_a_413_answered_before_the_body_is_sent_is_a_final_error(
    http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    refusing = Impatient(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 9\r\n\r\ntoo large")
    server = await asyncio.start_server(refusing.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with server:
        with pytest.raises(ConnectorError) as caught:
            await connector.execute("webhook_call", {"url": url, "body": LARGE}, context(http))
    assert not caught.value.retryable
    assert caught.value.message == "POST to 127.0.0.1 answered 413: too large"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"url": "not a url"}, "data.url: must be an http:// or https:// URL with a host"),
        (  # as a templated URL may render: the save's pattern checks only written ones
            {"url": "http://a.example:99999/hook"},
            "data.url: port 99999 is not a TCP port; write a port from 1 to 65535, or none "
            "for the scheme's default",
        ),
        ({"json": {}}, "data.url: an http:// or https:// URL is required"),
        ({"url": "http://a.example", "json": 1, "body": "x"}, "data: give json or body, not both"),
        (
            {"url": "http://a.example", "signing_secret": "whsec_***"},
            "the signing secret starts with whsec_ but is not base64",
        ),
        (
            {"url": "http://a.example", "signing_secret": {"$secret": "X"}},
            "signing_secret must be a string",
        ),
        (  # a templated method is rendered at run time: it could smuggle a request in
            {"url": "http://a.example", "method": "GET / HTTP/1.1\r\nX-In: 1\r\n\r\nPOST"},
            "data.method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        ),
    ],
)
async def test_bad_data_known_only_at_run_time_is_a_final_error(
    http: httpx.AsyncClient, connector: WebhookConnector, params: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", params, context(http))
    assert not caught.value.retryable
    assert caught.value.message.startswith(problem)


def documented_receiver() -> Callable[..., str]:
    """The receiver's ``verify`` as docs/connectors.md shows it."""
    text = CONNECTORS_PAGE.read_text()
    start = text.index("```python\nimport base64, hashlib, hmac, time")
    code = text[start:].split("\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(code, scope)  # noqa: S102 - the docs' own snippet, run to keep it true
    verify: Callable[..., str] = scope["verify"]
    return verify


async def test_the_documented_receiver_accepts_a_delivery_and_rejects_a_tampered_one(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    verify = documented_receiver()
    endpoint = Endpoint(httpserver, ok())
    params = {"url": httpserver.url_for("/hook"), "json": {"total": 42}, "signing_secret": SECRET}
    await connector.execute("webhook_call", params, context(http))
    (request,) = endpoint.received
    assert verify(SECRET, request.headers, request.body) == "r1:hook:0"
    with pytest.raises(ValueError, match="bad signature"):
        verify(SECRET, request.headers, b'{"total":4200}')


async def test_a_redirect_to_another_origin_drops_the_callers_headers_and_the_signature(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    # A header may carry a secret (X-Api-Key: {{ secrets.ERP_KEY }}); the host it was meant
    # for may redirect anywhere, in clear text too. Another port is another origin. The
    # signature would let that origin replay the delivery to the real receiver.
    other = HTTPServer(host="127.0.0.1", port=0)
    other.expect_request("/landed").respond_with_data("ok")
    other.start()
    try:
        moved = Response(status=307, headers={"Location": other.url_for("/landed")})
        httpserver.expect_request("/hook").respond_with_response(moved)
        params = {
            "url": httpserver.url_for("/hook"),
            "headers": {"X-Api-Key": "s3cret"},
            "json": {"a": 1},
            "signing_secret": SECRET,
        }
        result = await connector.execute("webhook_call", params, context(http))
        assert result["status"] == 200
        first, landed = httpserver.log[0][0], other.log[0][0]
        assert first.headers["X-Api-Key"] == "s3cret"
        assert verified(Received(Headers(first.headers), first.get_data()))
        assert "X-Api-Key" not in landed.headers
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            assert name not in landed.headers
        assert landed.headers["Idempotency-Key"] == "r1:hook:0"
        assert landed.get_data() == b'{"a":1}'
    finally:
        other.stop()


async def test_a_redirect_within_the_origin_keeps_the_callers_headers(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    moved = Response(status=308, headers={"Location": "/v2/hook"})
    httpserver.expect_request("/hook").respond_with_response(moved)
    httpserver.expect_request("/v2/hook").respond_with_data("ok")
    params = {
        "url": httpserver.url_for("/hook"),
        "headers": {"X-Api-Key": "s3cret"},
        "signing_secret": SECRET,
    }
    assert (await connector.execute("webhook_call", params, context(http)))["status"] == 200
    landed = httpserver.log[1][0]
    assert landed.headers["X-Api-Key"] == "s3cret"
    assert verified(Received(Headers(landed.headers), landed.get_data()))


async def test_a_value_past_64_bits_fails_the_step_before_anything_is_sent(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    # Rendered, sent, then unstorable: the run ended in "internal error in the engine", no
    # step record showed the send, and each retry sent again.
    endpoint = Endpoint(httpserver, ok(), ok(), ok())
    data = {"url": httpserver.url_for("/hook"), "json": {"amount": "{{ 2**64 }}"}}
    run = await run_hook(client, settings, data, allowed=["127.0.0.1"])
    assert endpoint.received == []
    assert run["status"] == "failed"
    message = (
        "action hook data.json.amount: integer 18446744073709551616 is outside 64 bits "
        "(-2**63 .. 2**63-1): no store can keep it"
    )
    assert run["error"]["message"] == message
    (step,) = run["steps"]
    assert step["status"] == "failed"
    assert step["error"]["message"] == message


async def test_a_dry_run_reports_a_value_past_64_bits_as_a_failing_step(
    client: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    data = {"url": httpserver.url_for("/hook"), "json": {"amount": "{{ 2**64 }}"}}
    assert (await client.post("/api/workflows", json=hook_workflow(data))).status_code == 201
    tested = await client.post("/api/workflows/notify_crm/test", json={"event": ORDER})
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["status"] == "failed"
    assert "no store can keep it" in result["error"]["message"]
    assert httpserver.log == []


async def test_an_answer_no_store_can_keep_is_recorded_as_text_and_the_run_goes_on(
    client: httpx.AsyncClient, settings: Settings, httpserver: HTTPServer
) -> None:
    # The call is made: an answer holding an integer past 64 bits ended the run in
    # "internal error in the engine" with no record of the send, and retries sent again.
    answer = Response('{"crm_id": 18446744073709551616}', content_type="application/json")
    endpoint = Endpoint(httpserver, answer)
    run = await run_hook(client, settings, order_hook(httpserver), allowed=["127.0.0.1"])
    assert run["status"] == "completed", run["error"]
    assert len(endpoint.received) == 1
    (step,) = run["steps"]
    assert step["output"]["body"] == {"crm_id": "18446744073709551616"}


async def test_a_gzipped_answer_is_inflated_and_bounded(
    httpserver: HTTPServer, connector: WebhookConnector
) -> None:
    answer = gzip.compress(b'{"crm_id": 7}')
    gzipped = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    httpserver.expect_request("/hook").respond_with_response(Response(answer, headers=gzipped))
    bomb = Response(gzip.compress(b"\0" * 1_000_000), headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/bomb").respond_with_response(bomb)
    limited = Settings(
        _env_file=None, http_allowed_hosts=["127.0.0.1"], http_max_response_bytes=64 * 1024
    )
    async with http_client(limited) as http:
        output = await connector.execute(
            "webhook_call", {"url": httpserver.url_for("/hook")}, context(http)
        )
        with pytest.raises(ConnectorError, match=r"127\.0\.0\.1 is over 65536 bytes"):
            await connector.execute(
                "webhook_call", {"url": httpserver.url_for("/bomb")}, context(http)
            )
    assert output["body"] == {"crm_id": 7}
    assert "content-encoding" not in output["headers"]
    ((request, _), *_) = httpserver.log
    assert request.headers["Accept-Encoding"] == "gzip, deflate"
    assert request.headers["User-Agent"] == "Automator"


async def test_a_303_after_a_post_is_followed_with_a_get_without_the_body(
    httpserver: HTTPServer, http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    seen = Response(status=303, headers={"Location": "/status?id=1"})
    httpserver.expect_request("/hook", method="POST").respond_with_response(seen)
    httpserver.expect_request("/status", method="GET").respond_with_json({"state": "queued"})
    params = {"url": httpserver.url_for("/hook"), "json": {"a": 1}, "signing_secret": SECRET}
    output = await connector.execute("webhook_call", params, context(http))
    assert (output["status"], output["body"]) == (200, {"state": "queued"})
    landed = httpserver.log[1][0]
    assert landed.get_data() == b""
    assert "Content-Length" not in landed.headers
    assert landed.headers["Idempotency-Key"] == "r1:hook:0"


async def test_a_header_past_ascii_is_a_final_error_naming_it(
    http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    params = {"url": "http://127.0.0.1:9/hook", "headers": {"X-Name": "Zoë"}}
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", params, context(http))
    assert not caught.value.retryable
    assert caught.value.message == "data.headers.X-Name: a header can hold ASCII characters only"


async def test_a_long_header_name_is_quoted_to_its_start_and_length(
    http: httpx.AsyncClient, connector: WebhookConnector
) -> None:
    """The header's name is its place in the error, quoted as a 422's location is: it came
    whole (200,000 characters) into the run's error."""
    params = {"url": "http://127.0.0.1:9/hook", "headers": {"X-" + "a" * 199_998: "Zoë"}}
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", params, context(http))
    assert caught.value.message == (
        f"data.headers.X-{'a' * 98}… (200000 characters): a header can hold ASCII characters only"
    )


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        # A line break would end the header and start another: h11 refuses it on the wire,
        # as a network error that was retried in vain, quoting the value (a secret, maybe).
        ({"X-Token": "abc\r\nX-Admin: 1"}, "data.headers.X-Token: a header value can hold"),
        ({"X-Token": "abc\n"}, "data.headers.X-Token: a header value can hold"),
        ({"X-Token": "a\x00b"}, "data.headers.X-Token: a header value can hold"),
        ({"X-Token\r\nX-Admin": "1"}, "data.headers: 'X-Token\\r\\nX-Admin' is not a header name"),
        ({"Bad Name": "1"}, "data.headers: 'Bad Name' is not a header name"),
        ({"Bad " * 50_000: "1"}, "data.headers: 'Bad Bad "),  # quoted cut, not whole
        # The body's own length frames the request; another would fail it mid-send.
        ({"Content-Length": "0"}, "data.headers.Content-Length: set by the call"),
        ({"transfer-encoding": "chunked"}, "data.headers.transfer-encoding: set by the call"),
    ],
)
async def test_a_header_that_would_break_the_request_is_a_final_error_naming_it(
    httpserver: HTTPServer,
    http: httpx.AsyncClient,
    connector: WebhookConnector,
    headers: dict[str, str],
    problem: str,
) -> None:
    endpoint = Endpoint(httpserver, ok())
    params = {"url": httpserver.url_for("/hook"), "headers": headers, "body": "hello"}
    with pytest.raises(ConnectorError) as caught:
        await connector.execute("webhook_call", params, context(http))
    assert not caught.value.retryable
    assert caught.value.message.startswith(problem)
    assert "abc" not in caught.value.message
    assert len(caught.value.message) < 1_000
    assert endpoint.received == []
