"""send_whatsapp through a local server speaking the WhatsApp Cloud API."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ConnectorError
from app.actions.channels.whatsapp import WhatsAppChannel
from app.errors import ErrorDetail
from tests.actions.channels.conftest import step

MESSAGES = "/v21.0/1234567890/messages"


def cloud(httpserver: HTTPServer) -> dict[str, Any]:
    return {
        "provider": "whatsapp_cloud",
        "base_url": httpserver.url_for("/"),
        "phone_number_id": "1234567890",
        "access_token": "EAAG-token",
    }


def recorder(received: list[Request]) -> Callable[[Request], Response]:
    def record(request: Request) -> Response:
        received.append(request)
        reply = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.HBg1"}]}
        return Response(json.dumps(reply), content_type="application/json")

    return record


async def test_a_text_goes_to_the_users_phone_in_the_cloud_api_format(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(MESSAGES, method="POST").respond_with_handler(recorder(received))
    context = step(http, {"whatsapp": [cloud(httpserver)]}, user={"phone": "+16505551234"})

    output = await WhatsAppChannel().send({"body": "Your order shipped"}, context)

    (request,) = received
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+16505551234",
        "type": "text",
        "text": {"preview_url": False, "body": "Your order shipped"},
    }
    assert request.headers["Authorization"] == "Bearer EAAG-token"
    assert request.headers["Idempotency-Key"] == "run1:a1:0"
    assert output == {
        "recipient": "+16505551234",
        "provider": "whatsapp_cloud",
        "message_id": "wamid.HBg1",
        "failed_providers": [],
    }


async def test_an_approved_template_with_body_parameters(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(MESSAGES).respond_with_handler(recorder(received))
    params = {
        "recipient": "+16505551234",
        "template": {"name": "order_update", "language": "en_GB", "parameters": ["Ann", 42]},
    }

    await WhatsAppChannel().send(params, step(http, {"whatsapp": [cloud(httpserver)]}))

    assert received[0].json["type"] == "template"
    assert received[0].json["template"] == {
        "name": "order_update",
        "language": {"code": "en_GB"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "42"}],
            }
        ],
    }


async def test_a_throttling_error_with_a_400_status_fails_over(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    error = {"message": "(#131056) Pair rate limit hit", "type": "OAuthException", "code": 131056}
    httpserver.expect_request(MESSAGES).respond_with_json({"error": error}, status=400)
    httpserver.expect_request("/wa").respond_with_json({"id": "w-1"})
    config = {
        "whatsapp": [cloud(httpserver), {"provider": "http", "url": httpserver.url_for("/wa")}]
    }

    output = await WhatsAppChannel().send(
        {"recipient": "+16505551234", "body": "Hi"}, step(http, config)
    )

    assert output["provider"] == "http"
    assert output["failed_providers"] == [
        {"provider": "whatsapp_cloud", "error": "HTTP 400: (#131056) Pair rate limit hit"}
    ]
    assert httpserver.log[-1][0].json == {
        "to": "+16505551234",
        "body": "Hi",
        "idempotency_key": "run1:a1:0",
    }


async def test_an_invalid_recipient_error_does_not_fail_over(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    error = {"message": "(#131026) Message undeliverable", "code": 131026}
    httpserver.expect_request(MESSAGES).respond_with_json({"error": error}, status=400)
    config = {
        "whatsapp": [cloud(httpserver), {"provider": "http", "url": httpserver.url_for("/wa")}]
    }

    with pytest.raises(ConnectorError) as raised:
        await WhatsAppChannel().send(
            {"recipient": "+16505551234", "body": "Hi"}, step(http, config)
        )

    assert raised.value.message == "whatsapp_cloud: HTTP 400: (#131026) Message undeliverable"
    assert raised.value.retryable is False
    assert len(httpserver.log) == 1


def test_the_schema_checks_templates_at_save() -> None:
    spec = WhatsAppChannel.spec
    assert spec.problems({"recipient": "{{user.phone}}", "template": {"name": "hello_world"}}) == []
    assert spec.problems({"template": {"language": "en"}}) == [
        ErrorDetail(("data", "template", "name"), "'name' is a required property")
    ]
