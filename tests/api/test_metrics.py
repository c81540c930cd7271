"""``GET /metrics``: what an operator's Prometheus sees move as events come and runs go."""

import logging
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.api import metrics as api_metrics
from app.main import create_probes
from app.models.tenant import Role
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import auth_for, drain, send, serving

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

WORKFLOW = {
    "workflow_id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "signup"},
    "actions": [
        {"id": "hello", "type": "log", "data": {"message": "hi {{ user.id }}"}},
        {"id": "later", "type": "log", "delay": 1, "data": {"message": "bye"}},
    ],
}


@pytest.fixture(autouse=True)
def fresh_gauges(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gauges are read at most every 5 s; here, at every scrape."""
    monkeypatch.setattr(api_metrics, "gauges", api_metrics.Gauges(seconds=0))


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "_created" not in response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_events_and_runs_move_the_counters(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    before = await scrape(client)
    for n in range(3):
        await send(client, {"type": "signup", "user": {"id": f"u{n}"}})
    await send(client, {"type": "signup", "user": {"id": "k"}, "idempotency_key": "k"})
    await send(client, {"type": "signup", "user": {"id": "k"}, "idempotency_key": "k"})
    await send(client, {"type": "nobody_listens"})

    queued = await scrape(client)
    assert moved(before, queued, "automator_events_accepted_total", outcome="new") == 5
    assert moved(before, queued, "automator_events_accepted_total", outcome="duplicate") == 1
    run = {"tenant": "acme", "workflow": "welcome"}
    assert moved(before, queued, "automator_runs_started_total", **run) == 4
    assert value(queued, "automator_queue_jobs", state="ready") == 4
    assert value(queued, "automator_runs_live", status="pending") == 4

    await drain(settings.model_copy(update={"delay_scale": 0.5}))
    done = await scrape(client)
    assert moved(before, done, "automator_runs_finished_total", status="completed", **run) == 4
    steps = {"action_type": "log", "status": "completed"}
    assert moved(before, done, "automator_step_duration_seconds_count", **steps) == 8
    assert moved(before, done, "automator_run_lateness_seconds_count", kind="start") == 4
    assert moved(before, done, "automator_run_lateness_seconds_count", kind="timer") == 4
    assert value(done, "automator_runs_live", status="pending") == 0
    assert value(done, "automator_queue_jobs", state="deferred") == 0


async def test_refused_events_are_counted_by_reason(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    assert (await client.post("/api/events", json={"type": "bad type!"})).status_code == 422
    anonymous = {"Authorization": ""}
    refused = await client.post("/api/events", json={"type": "x"}, headers=anonymous)
    assert refused.status_code == 401
    huge = await client.post(
        "/api/events/batch",
        content=b"x" * 11_000_000,
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    after = await scrape(client)
    rejected = "automator_events_rejected_total"
    assert moved(before, after, rejected, reason="invalid_input") == 1
    assert moved(before, after, rejected, reason="unauthenticated") == 1
    assert moved(before, after, rejected, reason="payload_too_large") == 1
    assert moved(before, after, "automator_events_accepted_total", outcome="new") == 0


async def test_a_metrics_token_guards_metrics_on_both_ports_but_not_the_probes(
    settings: Settings, clock: ShiftedClock
) -> None:
    """Labels name tenants and workflows: with AUTOMATOR_METRICS_TOKEN set, /metrics answers
    that Bearer token only (an API key is not it), on the API's app and the probes' app."""
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-s3cret")})
    async with serving(guarded, clock) as (api, resources):
        probes = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_probes(resources)), base_url="http://p"
        )
        admin = await auth_for(resources, "acme", Role.ADMIN)
        for client in (api, probes):
            for headers in [{}, {"Authorization": "Bearer wrong"}, admin]:
                refused = await client.get("/metrics", headers=headers)
                assert refused.status_code == 401
                assert refused.headers["www-authenticate"] == "Bearer"
                message = refused.json()["error"]["message"]
                assert "Authorization: Bearer <AUTOMATOR_METRICS_TOKEN>" in message
            for scheme in ("Bearer", "bearer"):
                answered = await client.get(
                    "/metrics", headers={"Authorization": f"{scheme} scrape-s3cret"}
                )
                assert answered.status_code == 200
                assert "automator_events_accepted_total" in answered.text
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/ready")).status_code == 200
        await probes.aclose()


@pytest.mark.parametrize(
    ("host", "token", "warned"),
    [
        ("0.0.0.0", None, True),
        ("automator.internal", None, True),
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", None, False),
        ("0.0.0.0", "scrape-s3cret", False),
    ],
)
def test_open_metrics_on_more_than_loopback_warn_once(
    tmp_path: Path, host: str, token: str | None, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, host=host, metrics_token=token, _env_file=None)
    api_metrics.warn_of_open_metrics(settings, settings.port)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == warned
    if warned:
        assert f"AUTOMATOR_METRICS_TOKEN is not set: /metrics on {host}:5000" in warnings[0]
