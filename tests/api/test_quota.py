import sqlite3

import httpx
import pytest

from app.models.run import Accepted
from app.resources import Resources
from app.store.protocol import Intake
from tests.engine.walk.test_runs import create, workflow


async def test_without_a_quota_everything_fits(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/quota")).json() == {"quota": None}
    estimate = (await client.post("/api/quota/estimate", json={"runs": 10**6})).json()
    assert (estimate["fits"], estimate["limits"], estimate["start_seconds"]) == (True, [], 0)


async def test_an_estimate_asks_for_the_margin_and_counts_the_workflows_limits(
    client: httpx.AsyncClient,
) -> None:
    limits = {"quota": {"runs": 1000, "period": "P1D"}, "throttle": {"limit": 100, "period": 60}}
    await client.put("/api/tenant/limits", json=limits)
    await create(client, workflow([{"type": "log"}], rate_limit={"limit": 500, "period": 3600}))
    body = {"runs": 450, "margin": 0.2, "workflow_id": "wf"}
    estimate = (await client.post("/api/quota/estimate", json=body)).json()
    assert (estimate["fits"], estimate["needed"]) == (False, 540)
    assert [(limit["limit"], limit["remaining"]) for limit in estimate["limits"]] == [
        ("tenant quota", 1000),
        ("workflow rate_limit", 500),
    ]
    assert estimate["start_seconds"] == 4 * 60
    smaller = {"runs": 400, "margin": 0.2, "workflow_id": "wf"}
    assert (await client.post("/api/quota/estimate", json=smaller)).json()["fits"] is True


async def test_an_estimate_for_an_unknown_workflow_is_404_and_bad_input_422(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.post("/api/quota/estimate", json={"runs": 1, "workflow_id": "nope"})
    assert missing.status_code == 404
    bad = await client.post("/api/quota/estimate", json={"runs": 0})
    assert bad.json()["error"]["details"][0]["loc"] == ["body", "runs"]


async def test_an_event_the_store_failed_to_record_uses_no_quota(
    client: httpx.AsyncClient, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.put("/api/tenant/limits", json={"quota": {"runs": 1, "period": "P1D"}})
    await create(client, workflow([{"type": "log"}]))
    store = resources.store
    working = store.accept_event

    async def failing(intake: Intake) -> Accepted:
        """A stand-in for a store outage: the write fails once, after admission."""
        monkeypatch.setattr(store, "accept_event", working)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "accept_event", failing)
    event = {"type": "signup", "user": {"id": "u1"}}
    with pytest.raises(sqlite3.OperationalError):
        await client.post("/api/events", json=event)
    retried = await client.post("/api/events", json=event)
    assert retried.status_code == 202
    assert len(retried.json()["run_ids"]) == 1, retried.json()["skipped"]
