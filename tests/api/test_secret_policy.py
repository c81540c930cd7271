"""Who may make a secret's value leave the service (docs/security.md): runs of versions an
admin published, and integration tests an admin runs. An editor tries every route it has
to send an admin's secret to a host of its own, a real HTTP server on 127.0.0.1; each try
is refused or sends nothing, and the server never receives the value."""

import secrets
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, key_for

VALUE = f"canary-{secrets.token_hex(8)}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"], "delay_scale": 0.001})


@pytest.fixture
def sink(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/steal").respond_with_json({"ok": True})
    return httpserver


@pytest.fixture
async def editor(client: httpx.AsyncClient, resources: Resources) -> httpx.AsyncClient:
    """An editor's client of the same app; the admin (``client``) has stored the secret."""
    stored = await client.put("/api/secrets/CANARY", json={"value": VALUE})
    assert stored.status_code == 201, stored.text
    key = await key_for(resources, "acme", Role.EDITOR)
    return httpx.AsyncClient(
        transport=client._transport,
        base_url=client.base_url,
        headers={"Authorization": f"Bearer {key}"},
    )


def stealing(sink: HTTPServer, workflow_id: str = "exfiltrate") -> dict[str, Any]:
    data = {"url": sink.url_for("/steal"), "json": {"stolen": {"$secret": "CANARY"}}}
    return {
        "workflow_id": workflow_id,
        "name": "n",
        "trigger": {"type": "go"},
        "actions": [{"id": "send", "type": "webhook_call", "data": data}],
    }


def harmless(sink: HTTPServer, workflow_id: str) -> dict[str, Any]:
    data = {"url": sink.url_for("/steal"), "json": {"hello": "world"}}
    return {
        "workflow_id": workflow_id,
        "name": "n",
        "trigger": {"type": "go"},
        "actions": [{"id": "send", "type": "webhook_call", "data": data}],
    }


def received(sink: HTTPServer) -> list[bytes]:
    return [request.get_data() for request, _ in sink.log]


async def test_an_editor_cannot_publish_a_version_that_uses_a_secret(
    editor: httpx.AsyncClient, sink: HTTPServer, settings: Settings
) -> None:
    refused = await editor.post("/api/workflows", json=stealing(sink))
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "forbidden"
    assert "Only an admin may publish a version that uses secrets (CANARY)" in error["message"]
    assert (await editor.get("/api/workflows/exfiltrate")).status_code == 404

    draft = await editor.post("/api/workflows", params={"publish": "false"}, json=stealing(sink))
    assert draft.status_code == 201, draft.text
    publish = await editor.post("/api/workflows/exfiltrate/versions/1/publish")
    assert publish.status_code == 403
    assert "Only an admin may publish" in publish.json()["error"]["message"]
    ran = await editor.post("/api/workflows/exfiltrate/run", json={})
    assert ran.status_code == 409  # no published version: nothing to run
    assert (await editor.post("/api/events", json={"type": "go"})).json()["run_ids"] == []
    await drain(settings)
    assert received(sink) == []


async def test_an_editor_cannot_slip_a_secret_into_an_admins_workflow(
    client: httpx.AsyncClient, editor: httpx.AsyncClient, sink: HTTPServer, settings: Settings
) -> None:
    assert (await client.post("/api/workflows", json=harmless(sink, "crm"))).status_code == 201
    changed = stealing(sink, "crm")
    refused = await editor.put("/api/workflows/crm", json=changed)
    assert refused.status_code == 403
    draft = await editor.put("/api/workflows/crm", params={"publish": "false"}, json=changed)
    assert draft.status_code == 200, draft.text
    # Run now runs the version an admin published, not the editor's draft.
    assert (await editor.post("/api/workflows/crm/run", json={})).status_code == 202
    imported = await editor.post("/api/workflows/import", json=[stealing(sink, "other")])
    (result,) = imported.json()["results"]
    assert (result["status"], result["error"]["code"]) == ("error", "forbidden")
    await drain(settings)
    assert received(sink) == [b'{"hello":"world"}']


async def test_an_editors_integration_test_may_not_use_a_secret(
    client: httpx.AsyncClient, editor: httpx.AsyncClient, sink: HTTPServer
) -> None:
    data = {"url": sink.url_for("/steal"), "json": {"stolen": {"$secret": "CANARY"}}}
    call = {"integration": "webhook", "action": "webhook_call", "data": data}
    refused = await editor.post("/api/integrations/test", json=call)
    assert refused.status_code == 403
    assert "This test would use secrets (CANARY)" in refused.json()["error"]["message"]
    data["json"] = {"hello": "world"}
    allowed = await editor.post("/api/integrations/test", json=call)
    assert allowed.json()["ok"] is True
    # The configuration's secrets count too: the editor's data chooses the host.
    config = {"config": {"signing_secret": {"$secret": "CANARY"}}}
    assert (await client.put("/api/integrations/webhook", json=config)).status_code == 201
    assert (await editor.post("/api/integrations/test", json=call)).status_code == 403
    assert received(sink) == [b'{"hello":"world"}']


async def test_an_editors_dry_run_shows_the_reference_never_the_value(
    editor: httpx.AsyncClient, sink: HTTPServer
) -> None:
    draft = await editor.post("/api/workflows", params={"publish": "false"}, json=stealing(sink))
    assert draft.status_code == 201
    tested = await editor.post("/api/workflows/exfiltrate/test", json={"event": {"type": "go"}})
    assert tested.status_code == 200, tested.text
    assert VALUE not in tested.text
    assert '"$secret":"CANARY"' in tested.text.replace(" ", "")
    assert received(sink) == []


async def test_an_admin_publishes_and_the_run_sends_the_value_where_the_version_says(
    client: httpx.AsyncClient, editor: httpx.AsyncClient, sink: HTTPServer, settings: Settings
) -> None:
    # The policy's other side, and proof the sink would have seen a leak.
    draft = await editor.post("/api/workflows", params={"publish": "false"}, json=stealing(sink))
    assert draft.status_code == 201
    assert (await client.post("/api/workflows/exfiltrate/versions/1/publish")).status_code == 200
    assert (await editor.post("/api/workflows/exfiltrate/run", json={})).status_code == 202
    await drain(settings)
    assert received(sink) == [b'{"stolen":"' + VALUE.encode() + b'"}']


def sending(sink: HTTPServer, workflow_id: str, json: Any) -> dict[str, Any]:
    data = {"url": sink.url_for("/steal"), "json": json}
    return {
        "workflow_id": workflow_id,
        "name": "n",
        "trigger": {"type": workflow_id},
        "actions": [{"id": "send", "type": "webhook_call", "data": data}],
    }


async def step_error(client: httpx.AsyncClient, workflow_id: str) -> str:
    (run,) = (await client.get("/api/runs", params={"workflow_id": workflow_id})).json()["items"]
    detail = (await client.get(f"/api/runs/{run['run_id']}")).json()
    assert detail["status"] == "failed", detail
    assert detail["steps"][-1]["status"] == "failed"
    error: str = detail["error"]["message"]
    return error


async def test_a_secret_named_by_a_template_needs_an_admin_too(
    editor: httpx.AsyncClient, sink: HTTPServer
) -> None:
    named = sending(sink, "named", {"stolen": {"$secret": "{{ 'CAN' ~ 'ARY' }}"}})
    refused = await editor.post("/api/workflows", json=named)
    assert refused.status_code == 403
    assert "{{ 'CAN' ~ 'ARY' }}" in refused.json()["error"]["message"]
    data = {"url": sink.url_for("/steal"), "json": {"stolen": {"$secret": "{{ 'CANARY' }}"}}}
    call = {"integration": "webhook", "action": "webhook_call", "data": data}
    assert (await editor.post("/api/integrations/test", json=call)).status_code == 403
    assert received(sink) == []


@pytest.mark.parametrize(
    ("json", "event_data"),
    [
        ("{{ {'$secret': 'CANARY'} }}", {}),  # a reference made by an expression
        ({"stolen": "{{ payload }}"}, {"payload": {"$secret": "CANARY"}}),  # from the event
        ("{{ [payload] }}", {"payload": {"$secret": "CANARY"}}),
    ],
    ids=["expression", "event-data", "nested"],
)
async def test_a_reference_made_by_a_template_is_a_step_error_before_the_send(
    editor: httpx.AsyncClient,
    sink: HTTPServer,
    settings: Settings,
    json: Any,
    event_data: dict[str, Any],
) -> None:
    # No reference written in the version, so an editor may publish it; an event's sender
    # (or the expression) then tries to slip one in.
    published = await editor.post("/api/workflows", json=sending(sink, "made", json))
    assert published.status_code == 201, published.text
    assert (
        await editor.post("/api/events", json={"type": "made", "data": event_data})
    ).status_code == 202
    await drain(settings)
    assert "a template may not make a secret reference" in await step_error(editor, "made")
    call = {
        "integration": "webhook",
        "action": "webhook_call",
        "user": event_data,
        "data": {
            "url": sink.url_for("/steal"),
            "json": json.replace("payload", "user.payload")
            if isinstance(json, str)
            else {"stolen": "{{ user.payload }}"},
        },
    }
    tested = await editor.post("/api/integrations/test", json=call)
    assert tested.status_code == 422, tested.text  # a template error, as in a save
    assert "a template may not make a secret reference" in tested.json()["error"]["message"]
    assert received(sink) == []


async def test_previews_and_dry_runs_never_resolve_a_secret(
    editor: httpx.AsyncClient, sink: HTTPServer
) -> None:
    scope = {"payload": {"$secret": "CANARY"}}
    parts = {"subject": "{{ payload['$secret'] }}", "text": "{{ payload | string }}"}
    preview = await editor.post("/api/templates/preview", json=parts | {"data": scope})
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == "CANARY"
    assert VALUE not in preview.text
    await editor.post("/api/workflows", json=sending(sink, "dry", "{{ payload }}"))
    for route, body in [
        ("/api/triggers/test", {"trigger_type": "dry", "data": scope}),
        ("/api/workflows/dry/test", {"event": {"type": "dry", "data": scope}}),
    ]:
        answer = await editor.post(route, json=body)
        assert answer.status_code == 200, (route, answer.text)
        assert VALUE not in answer.text
    assert received(sink) == []


async def test_a_message_template_never_sees_a_secret_an_editor_could_show(
    client: httpx.AsyncClient, editor: httpx.AsyncClient, settings: Settings
) -> None:
    # The admin passes a secret to a stored template; the editor may rewrite the template.
    template = {"name": "code", "subject": "Your code", "text": "{{ code }}"}
    assert (await editor.post("/api/templates", json=template)).status_code == 201
    data = {"recipient": "{{ user.email }}", "variables": {"code": {"$secret": "CANARY"}}}
    action = {"id": "send", "type": "send_email", "template": "code", "data": data}
    document = {
        "workflow_id": "mail",
        "name": "n",
        "trigger": {"type": "mail"},
        "actions": [action],
    }
    assert (await client.post("/api/workflows", json=document)).status_code == 201
    event = {"type": "mail", "user": {"id": "u1", "email": "thief@example.com"}}
    assert (await editor.post("/api/events", json=event)).status_code == 202
    await drain(settings)
    assert "a message template may not show one" in await step_error(editor, "mail")
