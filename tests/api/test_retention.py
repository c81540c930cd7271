"""``/api/tenant/retention``: each tenant's own days, and the retention job purging by them
in bounded batches."""

from datetime import timedelta

import httpx
import pytest

from app.models.retention import Kept
from app.models.tenant import Role
from app.resources import Resources
from app.settings import Settings
from tests.conftest import auth_for, send


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"retention_batch": 2})


async def test_the_retention_job_purges_each_tenant_by_its_own_days(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    defaults = (await client.get("/api/tenant/retention")).json()
    assert defaults == {"events_days": 30, "runs_days": None, "outbox_days": 30, "audit_days": None}
    put = await client.put("/api/tenant/retention", json={"events_days": 2, "runs_days": 2})
    assert put.status_code == 200, put.text
    assert put.json() == defaults | {"events_days": 2, "runs_days": 2}
    assert (await client.get("/api/tenant/retention")).json() == put.json()

    globex = await auth_for(resources, "globex", Role.ADMIN)
    for _ in range(5):
        await send(client, {"type": "signup", "user": {"id": "u1"}})
    kept = await client.post("/api/events", json={"type": "signup"}, headers=globex)
    assert kept.status_code == 202

    # Three days on: past acme's 2 days, within the deployment's 30 for globex.
    later = resources.clock.now() + timedelta(days=3)
    deleted = await resources.retention.purge(later)
    assert deleted[Kept.EVENTS] == 5
    assert (await client.get("/api/events")).json()["items"] == []
    assert len((await client.get("/api/events", headers=globex)).json()["items"]) == 1

    audit = (await client.get("/api/audit", params={"entity_type": "tenant"})).json()["items"]
    assert [a["action"] for a in audit] == ["tenant.retention"]
    assert (audit[0]["before"]["events_days"], audit[0]["after"]["events_days"]) == (30, 2)


async def test_retention_is_checked_and_set_by_admins_only(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    for body in ({"events_days": 0}, {"runs": 3}, {"audit_days": "a year"}):
        assert (await client.put("/api/tenant/retention", json=body)).status_code == 422
    editor = await auth_for(resources, "acme", Role.EDITOR)
    put = await client.put("/api/tenant/retention", json={"events_days": 3}, headers=editor)
    assert put.status_code == 403
    assert (await client.get("/api/tenant/retention", headers=editor)).status_code == 200
    forever = await client.put("/api/tenant/retention", json={"events_days": None})
    assert forever.json()["events_days"] is None
