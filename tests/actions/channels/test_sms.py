"""send_sms through a local server speaking Twilio's Messages API."""

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ConnectorError, Message
from app.actions.channels.sms import SmsChannel
from app.errors import ErrorDetail
from tests.actions.channels.conftest import step

MESSAGES = "/2010-04-01/Accounts/AC123/Messages.json"


def twilio(httpserver: HTTPServer, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "base_url": httpserver.url_for("/"),
        "account_sid": "AC123",
        "auth_token": "tw-token",
        "from": "+15550000001",
        **extra,
    }


def recorder(received: list[Request]) -> Callable[[Request], Response]:
    body = '{"sid": "SM42", "status": "queued"}'

    def record(request: Request) -> Response:
        received.append(request)
        return Response(body, status=201, content_type="application/json")

    return record


async def test_twilio_gets_a_form_with_basic_auth_and_the_idempotency_key(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(MESSAGES, method="POST").respond_with_handler(recorder(received))

    output = await SmsChannel().send(
        {"recipient": "+1 (555) 010-0199", "body": "Hi Ann"},
        step(http, {"sms": [twilio(httpserver)]}),
    )

    (request,) = received
    assert request.form.to_dict() == {
        "To": "+15550100199",
        "From": "+15550000001",
        "Body": "Hi Ann",
    }
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:tw-token").decode()
    )
    assert request.headers["Idempotency-Key"] == "run1:a1:0"
    assert output == {
        "recipient": "+15550100199",
        "provider": "twilio",
        "message_id": "SM42",
        "failed_providers": [],
    }


async def test_a_messaging_service_sends_instead_of_a_number(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(MESSAGES).respond_with_handler(recorder(received))
    config = twilio(httpserver, messaging_service_sid="MG9")
    del config["from"]

    await SmsChannel().send(
        {"recipient": "+15550100199", "body": "Hi"}, step(http, {"sms": [config]})
    )

    assert received[0].form["MessagingServiceSid"] == "MG9"
    assert "From" not in received[0].form


async def test_the_recipient_defaults_to_the_events_user_and_the_body_to_the_template(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(MESSAGES).respond_with_handler(recorder(received))
    message = Message(name="otp", subject="Your code", text="Your code is 4242")
    context = step(
        http, {"sms": [twilio(httpserver)]}, user={"phone": "+44 20 7946 0958"}, message=message
    )

    output = await SmsChannel().send({}, context)

    assert received[0].form["To"] == "+442079460958"
    assert received[0].form["Body"] == "Your code is 4242"
    assert output["recipient"] == "+442079460958"


@pytest.mark.parametrize(
    ("params", "user", "error"),
    [
        (
            {"body": "x"},
            {},
            "no recipient: data.recipient is empty and the event's user has no phone, nor "
            "has their profile",
        ),
        (
            {"body": "x"},
            {"phone": "0151 2345678"},
            "recipient '0151 2345678' is not a phone number in E.164 form",
        ),
        (
            {"body": "x"},
            {"phone": "0" * 100_000 + "9"},
            f"recipient '{'0' * 27}...{'0' * 27}9' is not a phone",
        ),
        ({"recipient": "+1555"}, {}, "data.recipient: '+1555' is not an E.164 phone number"),
        (
            {"recipient": "+15550100199"},
            {},
            "no body: data.body is empty; set data.body or name a template that has one",
        ),
        (
            {"recipient": "+15550100199", "body": "x", "to": "+1"},
            {},
            "Additional properties are not allowed ('to' was unexpected)",
        ),
    ],
)
async def test_bad_recipients_and_bodies_fail_finally_before_anything_is_sent(
    http: httpx.AsyncClient,
    httpserver: HTTPServer,
    params: dict[str, Any],
    user: dict[str, Any],
    error: str,
) -> None:
    with pytest.raises(ConnectorError) as raised:
        await SmsChannel().send(params, step(http, {"sms": [twilio(httpserver)]}, user=user))

    assert error in raised.value.message
    assert raised.value.retryable is False
    assert httpserver.log == []


def test_the_schema_refuses_bad_literals_at_save_and_skips_templates() -> None:
    spec = SmsChannel.spec
    assert spec.problems({"recipient": "{{user.phone}}", "body": "Hi {{user.name}}"}) == []
    assert spec.problems({}) == []
    assert spec.problems({"recipient": "555-0199"}) == [
        ErrorDetail(
            ("data", "recipient"), "'555-0199' is not an E.164 phone number such as +14155550123"
        )
    ]
    (too_long,) = spec.problems({"body": "x" * 1601})
    assert too_long.loc == ("data", "body")
    assert too_long.msg.endswith("is too long")
