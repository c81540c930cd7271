"""Secrets end to end: stored through the API, resolved by a real worker for a connector."""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.registry import Registry
from app.clock import SystemClock
from app.engine.calls.keyring import Keyring, new_key
from app.engine.calls.masking import MASK, SCRUBBER
from app.engine.calls.secrets import Secrets
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from app.store.sqlite import SQLiteStore
from tests.conftest import auth_for, drain, send

log = logging.getLogger(__name__)


class Echo(ConnectorAdapter):
    """A test connector (named so): answers with what it was given; ``fail`` raises a
    connector error quoting it, ``crash`` an unexpected exception quoting it."""

    code: ClassVar[str] = "echo"
    name: ClassVar[str] = "Echo"
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "echo": ActionSpec(),
        "fail": ActionSpec(),
        "crash": ActionSpec(),
    }

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], ActionContext]] = []

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.calls.append((params, context))
        seen = {"params": params, "config": dict(context.config), "secrets": dict(context.secrets)}
        log.debug("echo %s got %s", action, seen)
        if action == "fail":
            raise ConnectorError(f"provider refused {seen}", retryable=False)
        if action == "crash":
            raise RuntimeError(f"bug while handling {seen}")
        return seen


def custom(action: str, params: dict[str, Any], step: str = "a1") -> dict[str, Any]:
    return {
        "id": step,
        "type": "custom_action",
        "data": {"connector": "echo", "action": action, "params": params},
    }


async def start(
    client: httpx.AsyncClient, actions: list[dict[str, Any]], workflow_id: str = "wf"
) -> str:
    document = {
        "workflow_id": workflow_id,
        "name": "Secrets",
        "trigger": {"type": workflow_id},
        "actions": actions,
    }
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 201, response.text
    return str((await send(client, {"type": workflow_id}))["run_ids"][0])


async def finish(
    client: httpx.AsyncClient, settings: Settings, echo: Echo, run_id: str
) -> dict[str, Any]:
    registry = Registry()
    registry.register(echo)
    await drain(settings, registry)
    body: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
    return body


async def put_secret(client: httpx.AsyncClient, name: str, value: str) -> None:
    response = await client.put(f"/api/secrets/{name}", json={"value": value})
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def echo(resources: Resources) -> Echo:
    """The test connector, installed in the API (workflows are checked against it)."""
    connector = Echo()
    resources.registry.register(connector)
    return connector


async def test_a_stored_secret_reaches_the_connector_and_its_context_by_name(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    await put_secret(client, "API_KEY", "stored-value-1")
    run_id = await start(client, [custom("echo", {"key": {"$secret": "API_KEY"}, "n": 1})])
    run = await finish(client, settings, echo, run_id)
    assert run["status"] == "completed"
    params, context = echo.calls[0]
    assert params == {"key": "stored-value-1", "n": 1}
    assert context["secrets"].get("API_KEY") == "stored-value-1"  # the seed's adapter style
    step = run["steps"][0]
    assert step["input"]["params"] == {"key": {"$secret": "API_KEY"}, "n": 1}
    assert step["output"]["params"] == {"key": MASK, "n": 1}


@pytest.mark.parametrize(("allowed", "expected"), [(["acme"], "env-value"), ([], "stored-value")])
async def test_the_environment_wins_where_the_tenant_may_read_it(
    client: httpx.AsyncClient,
    settings: Settings,
    echo: Echo,
    monkeypatch: pytest.MonkeyPatch,
    allowed: list[str],
    expected: str,
) -> None:
    monkeypatch.setenv("AUTOMATOR_SECRET_API_KEY", "env-value")
    await put_secret(client, "API_KEY", "stored-value")
    run_id = await start(client, [custom("echo", {"key": {"$secret": "API_KEY"}})])
    await finish(client, settings.model_copy(update={"secrets_env_tenants": allowed}), echo, run_id)
    assert echo.calls[0][0] == {"key": expected}


async def test_a_missing_secret_fails_the_step_at_once_naming_it(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    run_id = await start(client, [custom("echo", {"key": {"$secret": "NOT_SET"}})])
    run = await finish(client, settings, echo, run_id)
    assert run["status"] == "failed"
    assert [(s["attempt"], s["status"]) for s in run["steps"]] == [(1, "failed")]
    message = run["error"]["message"]
    # The Studio's way first: a marketer reads the same message on the run's page.
    assert message == (
        "secret 'NOT_SET' is not set: store it in the Studio under Governance → Secrets, "
        "or with PUT /api/secrets/NOT_SET"
    )
    assert "AUTOMATOR_SECRET_NOT_SET" not in message  # acme may not read the environment
    assert echo.calls == []


async def test_a_name_that_renders_malformed_fails_the_step_naming_where_it_is(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    run_id = await start(client, [custom("echo", {"key": {"$secret": "{{ 'lower' }}"}})])
    run = await finish(client, settings, echo, run_id)
    assert run["status"] == "failed"
    assert "data.key: a secret name is" in run["error"]["message"]
    assert "'lower' is not" in run["error"]["message"]


async def test_after_a_rotation_the_next_run_gets_the_new_value(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    await put_secret(client, "API_KEY", "old-value")
    first = await start(client, [custom("echo", {"key": {"$secret": "API_KEY"}})])
    await finish(client, settings, echo, first)
    rotated = await client.post("/api/secrets/API_KEY/rotate", json={"value": "new-value"})
    assert rotated.status_code == 200
    assert (await send(client, {"type": "wf"}))["run_ids"]
    await finish(client, settings, echo, first)
    assert [params["key"] for params, _ in echo.calls] == ["old-value", "new-value"]


async def test_a_tenants_configuration_replaces_the_deployments_for_its_runs_only(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, echo: Echo
) -> None:
    deployment = {"echo": {"url": "https://deployment.example", "region": "eu"}}
    await put_secret(client, "ERP_KEY", "acme-erp-key")
    config = {"url": "https://acme.example", "key": {"$secret": "ERP_KEY"}}
    assert (await client.put("/api/integrations/echo", json={"config": config})).status_code == 201
    await start(client, [custom("echo", {})])
    globex = await auth_for(resources, "globex", Role.ADMIN)
    document = {
        "workflow_id": "wf",
        "name": "Globex",
        "trigger": {"type": "wf"},
        "actions": [custom("echo", {})],
    }
    assert (await client.post("/api/workflows", json=document, headers=globex)).is_success
    assert (await client.post("/api/events", json={"type": "wf"}, headers=globex)).is_success
    registry = Registry()
    registry.register(echo)
    await drain(settings.model_copy(update={"integrations": deployment}), registry)
    seen = {
        context.tenant_id: (dict(context.config), dict(context.secrets))
        for _, context in echo.calls
    }
    assert seen == {
        "acme": (
            {"url": "https://acme.example", "key": "acme-erp-key"},
            {"ERP_KEY": "acme-erp-key"},
        ),
        "globex": ({"url": "https://deployment.example", "region": "eu"}, {}),
    }


async def test_a_value_under_another_master_key_fails_the_step_saying_so(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    await put_secret(client, "API_KEY", "stored-value")
    run_id = await start(client, [custom("echo", {"key": {"$secret": "API_KEY"}})])
    other = settings.model_copy(update={"secrets_key": SecretStr(new_key())})
    run = await finish(client, other, echo, run_id)
    assert run["status"] == "failed"
    assert "secret 'API_KEY' cannot be decrypted" in run["error"]["message"]


async def test_re_encryption_moves_every_value_to_the_new_master_key(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    store = await SQLiteStore.open(tmp_path / "store.db", SystemClock())

    def secrets(key: str) -> Secrets:
        keyring = Keyring.from_settings(
            Settings(data_dir=tmp_path, secrets_key=SecretStr(key), _env_file=None)
        )
        return Secrets(store, keyring, SCRUBBER, env_tenants=[])

    await secrets(old).put("acme", "API_KEY", "value-one")
    await secrets(old).put("globex", "API_KEY", "value-two")
    assert await secrets(f"{new},{old}").reencrypt() == 2
    values = {t: await secrets(new).resolve(t, {"API_KEY"}, env=False) for t in ("acme", "globex")}
    assert values == {"acme": {"API_KEY": "value-one"}, "globex": {"API_KEY": "value-two"}}
    await store.close()


async def test_another_tenants_secret_is_not_set_for_this_one(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, echo: Echo
) -> None:
    await put_secret(client, "ERP_KEY", "acme-erp-key")
    globex = await auth_for(resources, "globex", Role.ADMIN)
    document = {
        "workflow_id": "wf",
        "name": "Globex",
        "trigger": {"type": "wf"},
        "actions": [custom("echo", {"key": {"$secret": "ERP_KEY"}})],
    }
    assert (await client.post("/api/workflows", json=document, headers=globex)).is_success
    accepted = await client.post("/api/events", json={"type": "wf"}, headers=globex)
    run_id = accepted.json()["run_ids"][0]
    registry = Registry()
    registry.register(echo)
    await drain(settings, registry)
    run = (await client.get(f"/api/runs/{run_id}", headers=globex)).json()
    assert run["status"] == "failed"
    assert "secret 'ERP_KEY' is not set" in run["error"]["message"]
    assert echo.calls == []


async def test_references_deep_in_the_data_or_named_by_a_template_resolve_in_a_branch(
    client: httpx.AsyncClient, settings: Settings, echo: Echo
) -> None:
    """Whether a step's data holds a reference is found once per version (a step without one
    is not searched at each call): one nested in a list, one whose name a template makes,
    in a condition's branch, are found and resolved all the same."""
    await put_secret(client, "KEY_EU", "eu-value")
    await put_secret(client, "TOKEN", "token-value")
    data = {"items": [{"auth": {"$secret": "TOKEN"}}], "key": {"$secret": "KEY_{{ 'EU' }}"}}
    always = [{"field": "event.type", "operator": "equals", "value": "wf"}]
    branch = {
        "id": "check",
        "type": "condition",
        "conditions": always,
        "then": [custom("echo", data)],
    }
    run_id = await start(client, [branch, custom("echo", {"n": 1}, step="a2")])
    run = await finish(client, settings, echo, run_id)
    assert run["status"] == "completed", run["error"]
    assert [params for params, _ in echo.calls] == [
        {"items": [{"auth": "token-value"}], "key": "eu-value"},
        {"n": 1},
    ]
