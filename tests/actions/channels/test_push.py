"""send_push through a local server speaking FCM HTTP v1, one request per device token, and
end to end through the real worker."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.actions.base import ConnectorError, Message
from app.actions.channels.push import PushChannel
from app.actions.registry import default_registry
from app.main import create_app
from app.models import jsonc
from app.models.tenant import Role
from app.settings import Settings
from tests.actions.channels.conftest import LOCAL_HOSTS, step
from tests.actions.channels.test_google import PEM
from tests.conftest import SEEDS, drain, key_for, send

SEND = "/v1/projects/demo-project/messages:send"


def fcm(httpserver: HTTPServer, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "fcm",
        "base_url": httpserver.url_for("/"),
        "project_id": "demo-project",
        "access_token": "ya29.static",
        **extra,
    }


def fcm_server(
    received: list[Request], refuse: Callable[[str], bool] = lambda _: False
) -> Callable[[Request], Response]:
    """Accepts every token (message ids m-1, m-2...) except those ``refuse`` names, which get
    FCM's UNREGISTERED error."""

    def handle(request: Request) -> Response:
        received.append(request)
        if refuse(request.json["message"]["token"]):
            error = {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
            }
            return Response(
                json.dumps({"error": error}), status=404, content_type="application/json"
            )
        name = f"projects/demo-project/messages/m-{len(received)}"
        return Response(json.dumps({"name": name}), content_type="application/json")

    return handle


async def test_fcm_gets_one_v1_message_per_token_with_a_bearer_token(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(SEND, method="POST").respond_with_handler(fcm_server(received))
    params = {
        "recipients": ["token-a", "token-b"],
        "title": "Welcome!",
        "body": "Thanks for joining Appgain",
        "data": {"screen": "home", "count": 3},
    }

    output = await PushChannel().send(params, step(http, {"push": [fcm(httpserver)]}))

    assert [request.json for request in received] == [
        {
            "message": {
                "token": token,
                "notification": {"title": "Welcome!", "body": "Thanks for joining Appgain"},
                "data": {"screen": "home", "count": "3"},
            }
        }
        for token in ("token-a", "token-b")
    ]
    assert {request.headers["Authorization"] for request in received} == {"Bearer ya29.static"}
    keys = [request.headers["Idempotency-Key"] for request in received]
    assert len(set(keys)) == 2
    assert all(key.startswith("run1:a1:0:") for key in keys)
    assert output == {
        "sent": 2,
        "failed": 0,
        "results": [
            {
                "recipient": "token-a",
                "status": "sent",
                "provider": "fcm",
                "message_id": "projects/demo-project/messages/m-1",
                "failed_providers": [],
            },
            {
                "recipient": "token-b",
                "status": "sent",
                "provider": "fcm",
                "message_id": "projects/demo-project/messages/m-2",
                "failed_providers": [],
            },
        ],
    }


async def test_the_users_device_token_and_the_template_fill_what_data_leaves_out(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(SEND).respond_with_handler(fcm_server(received))
    message = Message(name="welcome_push", subject="Hello Ann", text="Glad you're here")
    context = step(
        http, {"push": [fcm(httpserver)]}, user={"deviceToken": "dev-1"}, message=message
    )

    await PushChannel().send({"title": "Welcome!"}, context)

    assert received[0].json == {
        "message": {
            "token": "dev-1",
            "notification": {"title": "Welcome!", "body": "Glad you're here"},
        }
    }


async def test_a_push_with_nothing_to_show_names_that_first_as_its_dry_run_does(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    with pytest.raises(ConnectorError) as raised:
        await PushChannel().send({}, step(http, {"push": [fcm(httpserver)]}))

    assert raised.value.message.startswith("no title or body: ")


async def test_one_dead_token_does_not_fail_the_others(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    received: list[Request] = []
    httpserver.expect_request(SEND).respond_with_handler(
        fcm_server(received, lambda t: t == "dead")
    )

    output = await PushChannel().send(
        {"recipients": ["dead", "live"], "body": "Hi"}, step(http, {"push": [fcm(httpserver)]})
    )

    assert (output["sent"], output["failed"]) == (1, 1)
    assert output["results"][0] == {
        "recipient": "dead",
        "status": "failed",
        "error": "fcm: HTTP 404: Requested entity was not found.",
    }
    assert output["results"][1]["status"] == "sent"


async def test_when_no_token_is_delivered_the_step_fails(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SEND).respond_with_handler(fcm_server([], lambda _: True))
    with pytest.raises(ConnectorError) as raised:
        await PushChannel().send(
            {"recipients": ["dead-token-1", "dead-token-2"], "body": "Hi"},
            step(http, {"push": [fcm(httpserver)]}),
        )
    assert raised.value.message.startswith("no push was delivered: dead-token-1…: fcm: HTTP 404")
    assert raised.value.retryable is False


async def test_a_failing_fcm_fails_over_to_the_generic_provider(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(SEND).respond_with_json({"error": {"message": "busy"}}, status=503)
    httpserver.expect_request("/push").respond_with_json({"id": "p-1"})
    config = {"push": [fcm(httpserver), {"provider": "http", "url": httpserver.url_for("/push")}]}

    output = await PushChannel().send(
        {"recipients": ["tok"], "title": "T", "body": "B"}, step(http, config)
    )

    (result,) = output["results"]
    assert (result["provider"], result["failed_providers"]) == (
        "http",
        [{"provider": "fcm", "error": "HTTP 503: busy"}],
    )
    generic = httpserver.log[-1][0].json
    assert (generic["to"], generic["title"], generic["body"]) == ("tok", "T", "B")
    assert generic["idempotency_key"].startswith("run1:a1:0:")


async def test_fcm_with_a_service_account_mints_its_token(
    http: httpx.AsyncClient, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/token").respond_with_json(
        {"access_token": "ya29.minted", "expires_in": 3600}
    )
    received: list[Request] = []
    httpserver.expect_request(SEND).respond_with_handler(fcm_server(received))
    key_file = json.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project",
            "client_email": "push@demo-project.iam.gserviceaccount.com",
            "private_key": PEM,
            "token_uri": httpserver.url_for("/token"),
        }
    )
    config = fcm(httpserver, service_account=key_file)
    del config["access_token"], config["project_id"]

    await PushChannel().send({"recipients": ["tok"], "body": "Hi"}, step(http, {"push": [config]}))

    assert received[0].headers["Authorization"] == "Bearer ya29.minted"


@pytest.mark.parametrize(
    ("params", "user", "error"),
    [
        (
            {"body": "Hi"},
            {},
            "no recipient: data.recipients is empty and the event's user has no deviceToken, "
            "nor has their profile",
        ),
        ({"recipients": [None, ""], "body": "Hi"}, {}, "no recipient"),
        (
            {"recipients": ["t"]},
            {},
            "no title or body: data.title, data.body and data.data are empty; set data.body or "
            "name a template that has one",
        ),
        (
            {"recipients": ["t"], "data": {"nested": {"a": 1}}, "body": "x"},
            {},
            "data.data.nested: {'a': 1} is not of type",
        ),
    ],
)
async def test_bad_push_data_fails_finally_before_anything_is_sent(
    http: httpx.AsyncClient,
    httpserver: HTTPServer,
    params: dict[str, Any],
    user: dict[str, Any],
    error: str,
) -> None:
    with pytest.raises(ConnectorError) as raised:
        await PushChannel().send(params, step(http, {"push": [fcm(httpserver)]}, user=user))
    assert error in raised.value.message
    assert raised.value.retryable is False
    assert httpserver.log == []


def test_the_seed_workflows_push_actions_validate() -> None:
    registry = default_registry()
    pushes = [
        action
        for path in sorted(SEEDS.glob("*.json"))
        for action in jsonc.loads(path.read_bytes())["actions"]
        if action["type"] == "send_push"
    ]
    assert len(pushes) == 4
    assert [registry.problems("send_push", action.get("data", {})) for action in pushes] == [[]] * 4
    assert sorted(map(str, registry.problems("send_push", {"recipients": "tok", "badge": 1}))) == [
        "data.recipients: 'tok' is not of type 'array'",
        "data: Additional properties are not allowed ('badge' was unexpected)",
    ]


@pytest.fixture
def push_settings(settings: Settings, httpserver: HTTPServer) -> Settings:
    notify = {"push": [fcm(httpserver)]}
    return settings.model_copy(
        update={"integrations": {"notify_service": notify}, "http_allowed_hosts": LOCAL_HOSTS}
    )


@pytest.fixture
async def push_client(push_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(push_settings)
    async with app.router.lifespan_context(app):
        headers = {
            "Authorization": f"Bearer {await key_for(app.state.resources, 'acme', Role.ADMIN)}"
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://automator", headers=headers
        ) as client:
            yield client


async def cart_push(
    client: httpx.AsyncClient, httpserver: HTTPServer, data: dict[str, Any]
) -> list[Request]:
    """A workflow pushing ``data`` on each abandoned cart, saved, and the requests the FCM
    stand-in will receive."""
    received: list[Request] = []
    httpserver.expect_request(SEND, method="POST").respond_with_handler(fcm_server(received))
    workflow = {
        "workflow_id": "cart_push",
        "name": "Cart push",
        "trigger": {"type": "abandoned_cart"},
        "actions": [{"id": "push", "type": "send_push", "data": data}],
    }
    created = await client.post("/api/workflows", json=workflow)
    assert created.status_code == 201, created.text
    return received


async def test_a_workflow_pushes_to_the_events_user_through_the_worker(
    push_client: httpx.AsyncClient, push_settings: Settings, httpserver: HTTPServer
) -> None:
    data = {
        "recipients": ["{{user.deviceToken}}"],
        "title": "Your cart, {{user.name}}",
        "body": "{{cart.items | length}} items are waiting",
    }
    received = await cart_push(push_client, httpserver, data)

    accepted = await send(
        push_client,
        {
            "type": "abandoned_cart",
            "user": {"id": "u1", "name": "Ann", "deviceToken": "fcm-tok-1"},
            "data": {"cart": {"items": [{"sku": "A"}, {"sku": "B"}]}},
        },
    )
    await drain(push_settings)

    (request,) = received
    (run_id,) = accepted["run_ids"]
    assert request.json == {
        "message": {
            "token": "fcm-tok-1",
            "notification": {"title": "Your cart, Ann", "body": "2 items are waiting"},
        }
    }
    assert request.headers["Idempotency-Key"].startswith(f"{run_id}:push:0:")
    run = (await push_client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "completed"
    (result,) = run["steps"][0]["output"]["results"]
    assert (result["status"], result["provider"], result["message_id"]) == (
        "sent",
        "fcm",
        "projects/demo-project/messages/m-1",
    )


async def test_a_push_without_recipients_goes_to_the_token_the_users_profile_keeps(
    push_client: httpx.AsyncClient, push_settings: Settings, httpserver: HTTPServer
) -> None:
    received = await cart_push(push_client, httpserver, {"title": "Your cart"})
    signup = {"type": "user_signup", "user": {"id": "u1", "deviceToken": "fcm-tok-1"}}
    await send(push_client, signup)

    accepted = await send(push_client, {"type": "abandoned_cart", "user": {"id": "u1"}})
    await drain(push_settings)

    (run_id,) = accepted["run_ids"]
    run = (await push_client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "completed", run["steps"]
    assert [request.json["message"]["token"] for request in received] == ["fcm-tok-1"]


async def test_a_push_save_with_bad_literal_data_is_refused(push_client: httpx.AsyncClient) -> None:
    workflow = {
        "workflow_id": "bad_push",
        "name": "Bad push",
        "trigger": {"type": "abandoned_cart"},
        "actions": [
            {
                "type": "send_push",
                "data": {"recipients": "{{user.deviceToken}}", "image": "http://x"},
            }
        ],
    }
    response = await push_client.post("/api/workflows", json=workflow)
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["actions", 0, "data", "image"]
    assert detail["msg"].startswith("'http://x' is not an https:// URL;")
