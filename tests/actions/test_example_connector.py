"""The example connector package (examples/connectors/legacy_erp), installed through its
entry point, listed by the API, checked at save, and run by a real worker against a local
HTTP server standing in for the ERP."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.main import create_app
from app.models.tenant import Role
from app.settings import Settings
from tests.conftest import auth_for, drain, send

EXAMPLE = Path(__file__).parents[2] / "examples" / "connectors" / "legacy_erp"


@pytest.fixture
def erp_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's metadata on sys.path, as ``pip install`` would leave it."""
    info = tmp_path / "site" / "automator_legacy_erp-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: automator-legacy-erp\n")
    entry_points = (EXAMPLE / "pyproject.toml").read_text().split("[project.entry-points.")[1]
    assert 'legacy_erp = "automator_legacy_erp:LegacyERPAdapter"' in entry_points
    (info / "entry_points.txt").write_text(
        "[automator.connectors]\nlegacy_erp = automator_legacy_erp:LegacyERPAdapter\n"
    )
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


@pytest.fixture
def erp_settings(settings: Settings, httpserver: HTTPServer, erp_installed: None) -> Settings:
    erp = {"url": httpserver.url_for("").rstrip("/"), "api_key": "erp-key"}
    # The outbound guard refuses loopback addresses unless they are allow-listed.
    allowed = [httpserver.host]
    return settings.model_copy(
        update={"integrations": {"legacy_erp": erp}, "http_allowed_hosts": allowed}
    )


@pytest.fixture
async def erp_client(erp_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(erp_settings)
    async with app.router.lifespan_context(app):
        resources = app.state.resources
        transport = httpx.ASGITransport(app=app)
        headers = await auth_for(resources, "acme", Role.ADMIN)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://automator", headers=headers
        ) as client:
            yield client


def order_workflow(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "workflow_id": "erp_order",
        "name": "ERP order",
        "trigger": {"type": "purchase_completed"},
        "actions": [
            {
                "id": "order",
                "type": "custom_action",
                "data": {"connector": "legacy_erp", "action": "create_order", "params": params},
            }
        ],
    }


async def test_the_api_lists_the_installed_connector_with_its_schemas(
    erp_client: httpx.AsyncClient,
) -> None:
    response = await erp_client.get("/api/connectors")
    assert response.status_code == 200
    (erp,) = [entry for entry in response.json() if entry["code"] == "legacy_erp"]
    (create_order,) = erp["actions"]
    assert create_order["action_type"] == "custom_action"
    assert create_order["input_schema"]["required"] == ["customer_id", "items"]
    assert create_order["output_schema"]["properties"] == {"order_id": {"type": "string"}}


async def test_inputs_are_checked_against_the_spec_when_the_workflow_is_saved(
    erp_client: httpx.AsyncClient,
) -> None:
    response = await erp_client.post(
        "/api/workflows", json=order_workflow({"customer_id": "{{user.id}}"})
    )
    assert response.status_code == 422
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["actions", 0, "data", "params", "items"]
    assert detail["msg"].startswith("'items' is a required property")


async def test_a_workflow_runs_the_connector_action_against_the_erp(
    erp_client: httpx.AsyncClient, erp_settings: Settings, httpserver: HTTPServer
) -> None:
    received: list[Request] = []

    def create(request: Request) -> Response:
        received.append(request)
        return Response('{"id": 4711}', content_type="application/json")

    httpserver.expect_request("/orders", method="POST").respond_with_handler(create)
    params = {"customer_id": "{{user.id}}", "items": "{{items}}"}
    created = await erp_client.post("/api/workflows", json=order_workflow(params))
    assert created.status_code == 201, created.text
    accepted = await send(
        erp_client,
        {"type": "purchase_completed", "user": {"id": "u1"}, "data": {"items": [{"sku": "A"}]}},
    )
    await drain(erp_settings)
    (request,) = received
    assert request.json == {"customer_id": "u1", "items": [{"sku": "A"}]}
    assert request.headers["X-Api-Key"] == "erp-key"
    (run_id,) = accepted["run_ids"]
    assert request.headers["Idempotency-Key"] == f"{run_id}:order:0"
    run = (await erp_client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "completed"
    assert run["steps"][0]["output"] == {"order_id": "4711"}
