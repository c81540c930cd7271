"""``POST /api/runs/bulk``: one command over every run a filter matches, worked by the real
arq worker in batches, audited once."""

from datetime import timedelta
from typing import Any

import httpx
from arq.utils import timestamp_ms
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app.engine.redis_keys import RESUMES
from app.models.ids import RANDOM_DIGITS, new_id
from app.models.run import RunFilter, RunStatus
from app.models.tenant import Role
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from tests.clock import now
from tests.conftest import auth_for, drain, send
from tests.engine.walk.test_retry_now import redis_known, timers_later
from tests.engine.walk.test_runs import create, drain_until, run_of, workflow
from tests.store.records import run

SETTER = {
    "workflow_id": "wf",
    "name": "Setter",
    "trigger": {"type": "signup"},
    "actions": [{"id": "note", "type": "set", "data": {"noted": True}}],
}


async def failed_runs(client: httpx.AsyncClient, resources: Resources, count: int) -> None:
    """``count`` runs of a published workflow that failed at its first step."""
    assert (await client.post("/api/workflows", json=SETTER)).status_code == 201
    error = {"message": "the provider was down", "retryable": True}
    await resources.store.add_runs(
        [run(new_id("run"), status=RunStatus.FAILED, error=error) for _ in range(count)]
    )


async def bulk(client: httpx.AsyncClient, body: dict[str, Any], status: int) -> dict[str, Any]:
    response = await client.post("/api/runs/bulk", json=body)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_bulk_retry_of_500_failed_runs_retries_each_once(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await failed_runs(client, resources, 500)
    retry = {"action": "retry", "filter": {"workflow_id": "wf", "status": "failed"}}
    dry = await bulk(client, retry | {"dry_run": True}, 200)
    assert dry == {"dry_run": True, "matched": 500, "job_id": None}
    started = await bulk(client, retry, 202)
    assert (started["matched"], started["dry_run"]) == (500, False)

    await drain(settings)
    job = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (job["status"], job["done"], job["changed"], job["refused"]) == (
        "completed",
        500,
        500,
        [],
    )
    assert job["batches"] == 500 // settings.bulk_batch_size + 1
    runs = await resources.store.list_runs("acme", RunFilter(workflow_id="wf"), Page(1000))
    assert {one.status for one in runs} == {RunStatus.COMPLETED}
    retries = [sum(t["reason"] == "retried" for t in r.history) for r in runs]
    assert retries == [1] * 500

    audit = (await client.get("/api/audit", params={"entity_type": "run"})).json()["items"]
    assert [(a["action"], a["entity_id"]) for a in audit] == [("run.bulk", started["job_id"])]
    assert audit[0]["after"] == {
        "action": "retry",
        "filter": {"workflow_id": "wf", "status": "failed"},
        "matched": 500,
    }


async def test_runs_the_command_does_not_fit_are_listed_with_why(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await failed_runs(client, resources, 2)
    done = new_id("run")
    await resources.store.add_runs([run(done, status=RunStatus.COMPLETED)])
    started = await bulk(client, {"action": "cancel", "filter": {"workflow_id": "wf"}}, 202)
    await drain(settings)
    job = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (job["done"], job["changed"], job["refused_count"]) == (3, 0, 3)
    refused = {one["run_id"]: one["reason"] for one in job["refused"]}
    assert f"Cannot cancel run {done}: it is completed" in refused.pop(done)
    assert ["it is failed" in reason for reason in refused.values()] == [True, True]


async def test_bulk_requests_are_checked_and_kept_per_tenant(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    bad: list[tuple[dict[str, Any], list[str]]] = [
        ({"action": "delete", "filter": {}}, ["body", "action"]),
        ({"action": "retry", "filter": {"state": "failed"}}, ["body", "filter", "state"]),
        ({"action": "retry", "filter": {"since": "1700000000"}}, ["body", "filter", "since"]),
        ({"action": "retry"}, ["body", "filter"]),
    ]
    for body, field in bad:
        response = await client.post("/api/runs/bulk", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["loc"] == field
    viewer = await auth_for(resources, "acme", Role.VIEWER)
    dry = {"action": "cancel", "filter": {}, "dry_run": True}
    assert (await client.post("/api/runs/bulk", json=dry, headers=viewer)).status_code == 403
    started = await bulk(client, {"action": "cancel", "filter": {}}, 202)
    assert (await client.get(f"/api/runs/bulk/{started['job_id']}", headers=viewer)).is_success
    globex = await auth_for(resources, "globex", Role.ADMIN)
    other = await client.get(f"/api/runs/bulk/{started['job_id']}", headers=globex)
    assert other.status_code == 404


async def test_a_batch_run_twice_commands_its_runs_once_and_later_runs_are_left_alone(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await failed_runs(client, resources, 3)
    started = await bulk(client, {"action": "retry", "filter": {"status": "failed"}}, 202)
    job = await resources.bulk.read("acme", started["job_id"])
    # The lowest id above the job's cut: one made by new_id() within the request's
    # millisecond would sort below it, and be commanded as a run made before.
    later = job.cursor + "0" * RANDOM_DIGITS
    await resources.store.add_runs([run(later, status=RunStatus.FAILED)])
    for _ in range(2):  # arq delivers at least once
        await resources.bulk.work("acme", job.job_id, job.cursor)
    await drain(settings)
    done = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (done["status"], done["done"], done["changed"], done["batches"]) == (
        "completed",
        3,
        3,
        1,
    )
    assert (await resources.store.get_run("acme", later)).status == RunStatus.FAILED


async def test_a_bulk_command_over_a_time_range_works_through_its_runs(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    """Its batches go by run id below the job's cut whatever the filter (a listing by time
    goes by creation time, after a run that must be stored: the cut is none)."""
    await failed_runs(client, resources, 3)
    since = (now() - timedelta(hours=1)).isoformat()
    body = {"action": "retry", "filter": {"status": "failed", "since": since}}
    started = await bulk(client, body, 202)
    await drain(settings)
    done = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (done["status"], done["done"], done["changed"]) == ("completed", 3, 3)


async def test_a_bulk_job_whose_batch_redis_lost_is_finished_by_the_reconciler(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    await failed_runs(client, resources, 3)
    started = await bulk(client, {"action": "retry", "filter": {"status": "failed"}}, 202)
    await resources.engine.queue.pool.flushdb()  # its first batch's job is gone
    await drain(settings)  # a worker's first reconcile enqueues the batch again
    done = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (done["status"], done["done"], done["changed"]) == ("completed", 3, 3)


async def test_a_bulk_retry_brings_runs_waiting_to_retry_forward_and_leaves_no_timer(
    client: httpx.AsyncClient, resources: Resources, settings: Settings, httpserver: HTTPServer
) -> None:
    answers = iter([("down", 500), ("down", 500), ("ok", 200), ("ok", 200)])
    httpserver.expect_request("/hook").respond_with_handler(lambda _: Response(*next(answers)))
    step = {
        "id": "hook",
        "type": "webhook_call",
        "data": {"url": httpserver.url_for("/hook"), "json": {}},
        "retry": {"max_attempts": 3, "backoff": 3600},  # far beyond the test's time
    }
    await create(client, workflow([step]))
    await redis_known(resources)
    run_ids = [(await send(client, {"type": "signup"}))["run_ids"][0] for _ in range(2)]
    allowed = settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})
    await drain_until(client, allowed, run_ids, {"waiting"})
    done = new_id("run")
    await resources.store.add_runs([run(done, status=RunStatus.COMPLETED)])

    started = await bulk(client, {"action": "retry", "filter": {"workflow_id": "wf"}}, 202)
    job = await resources.bulk.read("acme", started["job_id"])
    await resources.bulk.work("acme", job.job_id, job.cursor)  # its batch, here and now
    # Each run's one timer, its automatic retry's, brought forward to now: a burst worker
    # ends once no timer is left, deferred ones included, so one left an hour away would
    # hold the drain below for that hour. (The stopped worker's reconciler may have left
    # resumes of its own, put back a moment: those are not counted.)
    assert await timers_later(resources) == []
    assert await resources.engine.queue.pool.zcount(RESUMES, "-inf", timestamp_ms()) >= 2
    await drain(allowed)
    done_job = (await client.get(f"/api/runs/bulk/{started['job_id']}")).json()
    assert (done_job["status"], done_job["done"], done_job["changed"]) == ("completed", 3, 2)
    assert [one["run_id"] for one in done_job["refused"]] == [done]
    assert [(await run_of(client, one))["status"] for one in run_ids] == ["completed"] * 2
    assert len(httpserver.log) == 4
