"""``/api/tenant/alerts``: a tenant's failure alert rules, checked, role-checked, scoped to
the tenant and audited."""

from typing import Any

import httpx
import pytest

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for
from tests.engine.walk.test_runs import create

RULE = {
    "rule_id": "checkout-failing",
    "workflow_id": "checkout",
    "window_minutes": 15,
    "threshold": 0.25,
    "min_runs": 10,
    "email": ["ops@example.com"],
    "webhook_url": "https://hooks.example.com/alerts",
}
CHECKOUT = {
    "workflow_id": "checkout",
    "name": "Checkout",
    "trigger": {"type": "order_placed"},
    "actions": [{"type": "log", "data": {"message": "hi"}}],
}


async def as_role(resources: Resources, tenant: str, role: Role) -> dict[str, str]:
    return await auth_for(resources, tenant, role)


async def test_an_admin_sets_reads_and_deletes_the_rules_all_audited(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    assert (await client.get("/api/tenant/alerts")).json() == {"rules": []}
    await create(client, CHECKOUT)
    every = {"rule_id": "any", "webhook_url": "https://hooks.example.com/all"}
    put = await client.put("/api/tenant/alerts", json={"rules": [RULE, every]})
    assert put.status_code == 200, put.text
    assert put.json()["rules"][1] == every | {
        "workflow_id": None,
        "window_minutes": 60,
        "threshold": 0.5,
        "min_runs": 5,
        "email": None,
    }
    viewer = await as_role(resources, "acme", Role.VIEWER)
    assert (await client.get("/api/tenant/alerts", headers=viewer)).json() == put.json()
    globex = await as_role(resources, "globex", Role.ADMIN)
    assert (await client.get("/api/tenant/alerts", headers=globex)).json() == {"rules": []}

    assert (await client.delete("/api/tenant/alerts")).status_code == 204
    assert (await client.get("/api/tenant/alerts")).json() == {"rules": []}
    again = await client.delete("/api/tenant/alerts")
    assert again.status_code == 404
    assert "PUT /api/tenant/alerts" in again.json()["error"]["message"]

    audit = (await client.get("/api/audit", params={"entity_type": "tenant"})).json()["items"]
    assert [a["action"] for a in audit] == ["tenant.alerts_delete", "tenant.alerts"]
    assert audit[1]["before"] == {"rules": []}
    assert audit[1]["after"]["rules"][0]["rule_id"] == "checkout-failing"


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
async def test_only_an_admin_changes_the_rules(
    client: httpx.AsyncClient, resources: Resources, role: Role
) -> None:
    headers = await as_role(resources, "acme", role)
    rules = {"rules": [RULE | {"workflow_id": None}]}
    assert (await client.put("/api/tenant/alerts", json=rules, headers=headers)).status_code == 403
    assert (await client.delete("/api/tenant/alerts", headers=headers)).status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"workflow_id": "nowhere"}, "workflow_id", "no workflow 'nowhere'"),
        ({"email": ["not an address"]}, "email", "email"),
        (
            {"webhook_url": "ftp://files.example.com"},
            "webhook_url",
            "is not an http:// or https:// URL",
        ),
        ({"webhook_url": "https://"}, "webhook_url", "must be an http:// or https:// URL with a"),
        (
            {"webhook_url": "http://[::1/alerts"},
            "webhook_url",
            "not a URL (Invalid port: ':1'); write it as http://host:port/path",
        ),
        (
            {"webhook_url": "http://10.0.0.5/alerts"},
            "webhook_url",
            "refused to connect to 10.0.0.5: it is a private address; allow it with "
            "AUTOMATOR_HTTP_ALLOWED_HOSTS=10.0.0.5",
        ),
        (
            {"webhook_url": "http://169.254.169.254/latest/meta-data"},
            "webhook_url",
            "169.254.169.254: it is a cloud metadata address",
        ),
        (
            {"webhook_url": "https://hooks.example.com/{{ alert.workflow_id }}"},
            "webhook_url",
            "is sent to as written: a template ({{ ... }}) is not taken here",
        ),
        (
            {"webhook_url": "http://{% if 1 %}10.0.0.5{% endif %}/alerts"},
            "webhook_url",
            "is sent to as written: a template ({{ ... }}) is not taken here",
        ),
        (
            {"email": ["ops@example.com", "{{ alert.workflow_id }}@example.com"]},
            "email",
            "is sent to as written: a template ({{ ... }}) is not taken here",
        ),
        ({"email": None, "webhook_url": None}, None, "needs email addresses, a webhook_url"),
        ({"threshold": 1.5}, "threshold", "less than or equal to 1"),
        ({"window_minutes": 0}, "window_minutes", "greater than or equal to 1"),
    ],
)
async def test_a_bad_rule_is_a_422_naming_its_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str | None, said: str
) -> None:
    await create(client, CHECKOUT)
    refused = await client.put("/api/tenant/alerts", json={"rules": [RULE | change]})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert said in error["message"] or said in str(error["details"])
    where = ["body", "rules", 0] + ([field] if field else [])
    assert error["details"][0]["loc"][: len(where)] == where


async def test_rule_ids_are_unique(client: httpx.AsyncClient) -> None:
    twice = {"rules": [RULE | {"workflow_id": None}, RULE | {"workflow_id": None}]}
    refused = await client.put("/api/tenant/alerts", json=twice)
    assert refused.status_code == 422
    assert "rule_id checkout-failing is used twice" in refused.text
