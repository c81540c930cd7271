"""Failover between providers, the circuit breaker, and how provider replies are read, seen
through send_sms with generic HTTP providers on a local server."""

from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ConnectorError
from app.actions.breaker import LocalBreaker
from app.actions.channels.providers import MAX_ERROR_CHARS
from app.actions.channels.sms import SmsChannel
from app.actions.net import http_client
from app.settings import Settings
from tests.actions.channels.conftest import step

SMS = {"recipient": "+15550100199", "body": "Your code is 1234"}


def generic(httpserver: HTTPServer, path: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "http", "name": path, "url": httpserver.url_for(f"/{path}"), **extra}


def paths(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


async def test_a_503_fails_over_to_the_next_provider_and_the_output_names_both(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/primary").respond_with_json(
        {"error": {"message": "upstream overloaded"}}, status=503
    )
    httpserver.expect_request("/backup").respond_with_json({"id": "msg-7"})
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}

    output = await SmsChannel().send(dict(SMS), step(http, config))

    assert output == {
        "recipient": "+15550100199",
        "provider": "backup",
        "message_id": "msg-7",
        "failed_providers": [{"provider": "primary", "error": "HTTP 503: upstream overloaded"}],
    }
    assert paths(httpserver) == ["/primary", "/backup"]


async def test_a_network_error_fails_over_too(
    http: httpx.AsyncClient, httpserver: HTTPServer, closed_port: int
) -> None:
    httpserver.expect_request("/backup").respond_with_json({"id": "msg-8"})
    closed = {"provider": "http", "name": "down", "url": f"http://127.0.0.1:{closed_port}/sms"}
    config = {"sms": [closed, generic(httpserver, "backup")]}

    output = await SmsChannel().send(dict(SMS), step(http, config))

    assert output["provider"] == "backup"
    (failure,) = output["failed_providers"]
    assert failure["provider"] == "down"
    assert failure["error"].startswith("request failed: ConnectError")


async def test_a_final_400_stops_the_chain_with_the_providers_words(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/primary").respond_with_json(
        {"message": "The 'To' number is not a valid mobile number."}, status=400
    )
    httpserver.expect_request("/backup").respond_with_json({"id": "never"})
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert raised.value.message == (
        "primary: HTTP 400: The 'To' number is not a valid mobile number."
    )
    assert raised.value.retryable is False
    assert paths(httpserver) == ["/primary"]


async def test_a_final_error_after_a_failover_says_what_failed_before(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/primary").respond_with_data("bad gateway", status=502)
    httpserver.expect_request("/backup").respond_with_data("unknown account", status=401)
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert raised.value.message == "backup: HTTP 401: unknown account (after primary failed)"
    assert raised.value.retryable is False


async def test_when_every_provider_fails_the_error_is_retryable_and_lists_each(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/primary").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "30"}
    )
    httpserver.expect_request("/backup").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "120"}
    )
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert raised.value.message == (
        "every sms provider failed: primary: HTTP 429: slow down; backup: HTTP 503: maintenance"
    )
    assert raised.value.retryable is True
    # The earliest any provider said it may take the message again.
    assert raised.value.retry_after == 30


async def test_a_provider_failing_without_retry_after_leaves_the_wait_to_the_backoff(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/primary").respond_with_data(
        "x", status=429, headers={"Retry-After": "30"}
    )
    httpserver.expect_request("/backup").respond_with_data("x", status=500)
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert (raised.value.retryable, raised.value.retry_after) == (True, None)


async def test_an_unhealthy_provider_is_skipped_until_its_cool_down_ends(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    now = [1000.0]
    breaker = LocalBreaker(threshold=2, cooldown=60, clock=lambda: now[0])
    httpserver.expect_request("/primary").respond_with_data("down", status=503)
    httpserver.expect_request("/backup").respond_with_json({"id": "ok"})
    config = {"sms": [generic(httpserver, "primary"), generic(httpserver, "backup")]}
    context = step(http, config, breaker=breaker)

    for _ in range(2):
        await SmsChannel().send(dict(SMS), context)
    httpserver.clear_log()
    skipped = await SmsChannel().send(dict(SMS), context)

    assert paths(httpserver) == ["/backup"]
    assert skipped["failed_providers"] == [
        {"provider": "primary", "error": "skipped: unhealthy for another 60 s", "skipped": True}
    ]
    now[0] += 61
    httpserver.clear_log()
    await SmsChannel().send(dict(SMS), context)
    assert paths(httpserver) == ["/primary", "/backup"]


async def test_when_every_provider_is_unhealthy_nothing_is_sent_until_one_may_be(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    now = [0.0]
    breaker = LocalBreaker(threshold=1, cooldown=60, clock=lambda: now[0])
    httpserver.expect_request("/primary").respond_with_data("down", status=503)
    config = {"sms": [generic(httpserver, "primary")]}
    context = step(http, config, breaker=breaker)
    with pytest.raises(ConnectorError):
        await SmsChannel().send(dict(SMS), context)
    httpserver.clear_log()
    now[0] += 20

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), context)

    assert paths(httpserver) == []
    assert raised.value.retryable is True
    assert raised.value.retry_after == 40


async def test_health_is_kept_per_tenant(http: httpx.AsyncClient, httpserver: HTTPServer) -> None:
    breaker = LocalBreaker(threshold=1, cooldown=60)
    httpserver.expect_request("/primary").respond_with_data("down", status=503)
    config = {"sms": [generic(httpserver, "primary")]}
    with pytest.raises(ConnectorError):
        await SmsChannel().send(dict(SMS), step(http, config, breaker=breaker, tenant="acme"))
    httpserver.clear_log()

    with pytest.raises(ConnectorError):
        await SmsChannel().send(dict(SMS), step(http, config, breaker=breaker, tenant="globex"))

    assert paths(httpserver) == ["/primary"]


async def test_the_generic_provider_posts_json_with_its_headers_and_the_idempotency_key(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []

    def accept(request: Request) -> Response:
        received.append(request)
        return Response('{"message_id": "m-1"}', content_type="application/json")

    httpserver.expect_request("/sms", method="POST").respond_with_handler(accept)
    config = {"sms": [generic(httpserver, "sms", headers={"X-Api-Key": "k-123"})]}

    output = await SmsChannel().send(dict(SMS), step(http, config))

    (request,) = received
    assert request.json == {
        "to": "+15550100199",
        "body": "Your code is 1234",
        "idempotency_key": "run1:a1:0",
    }
    assert request.headers["X-Api-Key"] == "k-123"
    assert request.headers["Idempotency-Key"] == "run1:a1:0"
    assert output["message_id"] == "m-1"


async def test_credentials_a_provider_echoes_are_blanked_out_of_the_error(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    def echo(request: Request) -> Response:
        return Response(f"bad key {request.headers['X-Api-Key']}", status=403)

    httpserver.expect_request("/sms").respond_with_handler(echo)
    config = {"sms": [generic(httpserver, "sms", headers={"X-Api-Key": "canary-9f3e"})]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert raised.value.message == "sms: HTTP 403: bad key ***"


async def test_a_huge_error_reply_is_trimmed(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/sms").respond_with_data("x" * 1_000_000, status=400)
    config = {"sms": [generic(httpserver, "sms")]}

    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert len(raised.value.message) <= len("sms: HTTP 400: ") + MAX_ERROR_CHARS


async def test_two_providers_of_one_kind_without_names_get_numbered_labels(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/a").respond_with_data("down", status=500)
    httpserver.expect_request("/b").respond_with_json({})
    config = {
        "sms": [
            {"provider": "http", "url": httpserver.url_for("/a")},
            {"provider": "http", "url": httpserver.url_for("/b")},
        ]
    }

    output = await SmsChannel().send(dict(SMS), step(http, config))

    assert (output["provider"], output["failed_providers"][0]["provider"]) == ("http#2", "http#1")
    assert output["message_id"] is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "no sms provider is configured: list them under 'sms' in the notify_service"),
        (
            {"sms": [{"provider": "carrier-pigeon"}]},
            "config sms[0].provider: must be one of twilio, http",
        ),
        (
            {"sms": [{"provider": "twilio", "auth_token": "canary-77", "from": "+15550100"}]},
            "config sms[0].account_sid: Field required",
        ),
        (
            {"sms": [{"provider": "http", "url": "ftp://files.example", "headers": {}}]},
            "config sms[0].url: should be an http:// or https:// URL with a host",
        ),
        (
            {"sms": [{"provider": "twilio", "account_sid": "AC1", "auth_token": "t"}]},
            "needs 'from' (a number or sender id) or 'messaging_service_sid'",
        ),
    ],
)
async def test_bad_provider_configuration_is_a_final_error_naming_the_field(
    http: httpx.AsyncClient, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(dict(SMS), step(http, config))

    assert message in raised.value.message
    assert "canary" not in raised.value.message
    assert raised.value.retryable is False


async def test_a_provider_address_the_guard_refuses_is_a_final_error_and_gets_nothing(
    settings: Settings, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/sms").respond_with_json({"id": "never"})
    config = {"sms": [generic(httpserver, "sms")]}
    async with http_client(settings) as unlisted:  # 127.0.0.1 is not allow-listed here
        with pytest.raises(ConnectorError) as raised:
            await SmsChannel().send(dict(SMS), step(unlisted, config))

    assert raised.value.message.startswith("sms: ")
    assert "127.0.0.1" in raised.value.message
    assert raised.value.retryable is False
    assert httpserver.log == []
