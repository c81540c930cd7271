"""Each tenant's connector configuration through the API, and POST /api/integrations/test:
a real call of a connector action, its outcome reported."""

from typing import Any

import httpx
import pytest

from app.api.examples import INTEGRATION_TEST_EXAMPLE
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for
from tests.engine.calls.test_secrets import Echo
from tests.mailbox import SmtpServer

CONFIG = {
    "url": "https://erp.example",
    "api_key": {"$secret": "ERP_KEY"},
    "headers": [{"X-Team": "ops"}],
}


SEED_BODY = INTEGRATION_TEST_EXAMPLE


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    """The deployment configures ``echo`` too, and sends email through a local server."""
    integrations = {"integrations": {"echo": {"url": "https://default"}}}
    return settings.model_copy(update=integrations | smtp_server.settings())


@pytest.fixture(autouse=True)
def installed(resources: Resources) -> None:
    resources.registry.register(Echo())


async def test_a_configuration_is_stored_shown_with_its_references_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = await client.put("/api/integrations/echo", json={"config": CONFIG})
    assert created.status_code == 201
    body = created.json()
    assert (body["code"], body["config"], body["secrets"]) == ("echo", CONFIG, ["ERP_KEY"])
    assert body["replaces_default"] is True
    replaced = await client.put("/api/integrations/echo", json={"config": {"url": "https://b"}})
    assert replaced.status_code == 200
    assert replaced.json()["created_at"] == body["created_at"]
    assert [i["code"] for i in (await client.get("/api/integrations")).json()] == ["echo"]
    assert (await client.get("/api/integrations/echo")).json()["config"] == {"url": "https://b"}
    assert (await client.delete("/api/integrations/echo")).status_code == 204
    assert (await client.get("/api/integrations/echo")).status_code == 404
    assert (await client.delete("/api/integrations/echo")).status_code == 404


@pytest.mark.parametrize(
    ("code", "body", "status", "loc", "says"),
    [
        ("fax", {"config": {}}, 404, ["path", "code"], "installed: ai, echo"),
        (
            "echo",
            {"config": {"k": {"$secret": "ERP_KEY", "x": 1}}},
            422,
            ["body", "config", "k"],
            '{"$secret": "NAME"}',
        ),
        (
            "echo",
            {"config": {"k": [{"$secret": "lower"}]}},
            422,
            ["body", "config", "k", 0],
            "capital letters",
        ),
        ("echo", {"config": {"blob": "x" * 70_000}}, 413, ["body", "config"], "65536"),
        ("echo", {"config": []}, 422, ["body", "config"], "should be a JSON object, not a list"),
        ("echo", {"settings": {}}, 422, ["body", "config"], "required"),
    ],
)
async def test_bad_configurations_are_refused_naming_the_place(
    client: httpx.AsyncClient,
    code: str,
    body: dict[str, Any],
    status: int,
    loc: list[str | int],
    says: str,
) -> None:
    response = await client.put(f"/api/integrations/{code}", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["details"][0]["loc"] == loc
    assert says in error["message"] + error["details"][0]["msg"]


async def test_another_tenants_configurations_are_invisible(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await auth_for(resources, "acme", Role.ADMIN)
    globex = await auth_for(resources, "globex", Role.ADMIN)
    await client.put("/api/integrations/echo", json={"config": CONFIG}, headers=acme)
    assert (await client.get("/api/integrations", headers=globex)).json() == []
    assert (await client.get("/api/integrations/echo", headers=globex)).status_code == 404
    assert (await client.delete("/api/integrations/echo", headers=globex)).status_code == 404
    assert (await client.get("/api/integrations/echo", headers=acme)).status_code == 200
    viewer = await auth_for(resources, "acme", Role.VIEWER)
    assert (await client.get("/api/integrations", headers=viewer)).status_code == 403


async def test_the_seed_call_sends_a_real_email(
    client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    assert SEED_BODY == {
        "integration": "notify_service",
        "action": "send_email",
        "data": {"recipient": "test@example.com", "subject": "Test", "body": "Test message"},
    }
    response = await client.post("/api/integrations/test", json=SEED_BODY)
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["ok"] is True
    assert outcome["error"] is None
    assert outcome["idempotency_key"].startswith("integration-test:test_")
    assert outcome["output"]["accepted"] == ["test@example.com"]
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["test@example.com"]
    assert (received.message["Subject"], received.part("plain")) == ("Test", "Test message")
    assert received.message["Idempotency-Key"] == outcome["idempotency_key"]
    assert received.message["Message-ID"] == outcome["output"]["message_id"]


async def test_a_template_and_a_test_user_render_as_in_a_run(
    client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    template = {"name": "hello", "subject": "Hi {{ user.name }}", "text": "Code {{ code }}"}
    assert (await client.post("/api/templates", json=template)).status_code == 201
    body = {
        "integration": "notify_service",
        "action": "send_email",
        "template": "hello",
        "user": {"name": "Ada", "email": "ada@example.com"},
        "data": {"variables": {"code": "{{ user.name|upper }}-42"}},
    }
    outcome = (await client.post("/api/integrations/test", json=body)).json()
    assert outcome["ok"] is True, outcome
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["ada@example.com"]
    assert (received.message["Subject"], received.part("plain")) == ("Hi Ada", "Code ADA-42")


async def test_a_failed_call_is_reported_with_whether_it_would_be_retried(
    client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.data_replies = ["451 4.3.0 try again later", "554 5.7.1 no"]
    temporary = (await client.post("/api/integrations/test", json=SEED_BODY)).json()
    final = (await client.post("/api/integrations/test", json=SEED_BODY)).json()
    assert (temporary["ok"], temporary["output"]) == (False, None)
    assert temporary["error"]["retryable"] is True
    assert "451 4.3.0 try again later" in temporary["error"]["message"]
    assert (final["error"]["retryable"], final["ok"]) == (False, False)
    missing = SEED_BODY | {"template": "nope"}
    not_found = (await client.post("/api/integrations/test", json=missing)).json()
    assert not_found["error"]["message"].startswith("message template 'nope' was not found")
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("change", "status", "loc", "message"),
    [
        ({"integration": "mailchimp"}, 404, None, "Integration 'mailchimp' is not installed"),
        ({"action": "send_fax"}, 422, ["body", "action"], "has no action 'send_fax'"),
        (
            {"data": {"recipient": 5}},
            422,
            ["body", "data", "recipient"],
            "data.recipient: 5 is not of type",
        ),
        ({"data": {"to": "a@b.c"}}, 422, ["body", "data"], "('to' was unexpected)"),
        (
            {"data": {"recipient": "{{ user.nope }}"}},
            422,
            None,
            "data.recipient: user.nope is not in the event",
        ),
        ({"extra": 1}, 422, ["body", "extra"], "Extra inputs are not permitted"),
    ],
)
async def test_bad_requests_name_what_is_wrong(
    client: httpx.AsyncClient,
    smtp_server: SmtpServer,
    change: dict[str, Any],
    status: int,
    loc: list[str] | None,
    message: str,
) -> None:
    response = await client.post("/api/integrations/test", json=SEED_BODY | change)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error["message"] or message in str(error["details"])
    if loc is not None:
        assert error["details"][0]["loc"] == loc
    assert smtp_server.messages == []


async def test_only_admins_and_editors_may_test(
    app_resources: tuple[httpx.AsyncClient, Resources], smtp_server: SmtpServer
) -> None:
    client, resources = app_resources
    for role, status in ((Role.VIEWER, 403), (Role.INGEST, 403), (Role.EDITOR, 200)):
        auth = await auth_for(resources, "acme", role)
        response = await client.post("/api/integrations/test", json=SEED_BODY, headers=auth)
        assert response.status_code == status, (role, response.text)
    assert len(smtp_server.messages) == 1


async def test_a_test_call_may_use_a_configuration_not_saved_yet(
    client: httpx.AsyncClient,
) -> None:
    """The Studio tests what its form holds before it is saved: the call gets that
    configuration, its references resolved from the tenant's secrets, and nothing is stored."""
    assert (await client.put("/api/secrets/ERP_KEY", json={"value": "erp-canary-31"})).is_success
    unsaved = {"url": "https://unsaved", "api_key": {"$secret": "ERP_KEY"}}
    body = {"integration": "echo", "action": "echo", "config": unsaved}

    tested = await client.post("/api/integrations/test", json=body)

    assert tested.status_code == 200, tested.text
    outcome = tested.json()
    assert outcome["ok"] is True, outcome
    assert outcome["output"]["config"]["url"] == "https://unsaved"
    assert "erp-canary-31" not in tested.text
    assert (await client.get("/api/integrations/echo")).status_code == 404
    saved = (await client.post("/api/integrations/test", json=body | {"config": None})).json()
    assert saved["output"]["config"] == {"url": "https://default"}


@pytest.mark.parametrize(
    ("config", "status", "loc", "says"),
    [
        ({"k": {"$secret": "ERP_KEY", "x": 1}}, 422, ["body", "config", "k"], "$secret"),
        ({"blob": "x" * 70_000}, 413, ["body", "config"], "65536"),
        ([], 422, ["body", "config"], "should be a JSON object, not a list"),
    ],
)
async def test_an_unsaved_configuration_is_checked_as_a_saved_one(
    client: httpx.AsyncClient, config: Any, status: int, loc: list[str], says: str
) -> None:
    body = {"integration": "echo", "action": "echo", "config": config}
    response = await client.post("/api/integrations/test", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["details"][0]["loc"] == loc
    assert says in error["message"] + error["details"][0]["msg"]


async def test_only_an_admin_may_test_an_unsaved_configuration(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    editor = await auth_for(resources, "acme", Role.EDITOR)
    body = {"integration": "echo", "action": "echo", "config": {"url": "https://elsewhere"}}

    refused = await client.post("/api/integrations/test", json=body, headers=editor)

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"][0]["loc"] == ["body", "config"]
