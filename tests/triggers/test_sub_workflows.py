"""Sub-workflows: a launch starts a run of a workflow's published version through the
ingestor (flow control, idempotency, one write), on the real store and the session's Redis;
every refusal is a ConnectorError, final or retryable."""

from typing import Any

import httpx
import pytest

from app.actions.base import ConnectorError
from app.engine.walk.launcher import LAUNCH_EVENT, Launch
from app.models.run import Parent, RunFilter, RunStatus
from app.models.workflow import Page
from app.resources import Resources
from app.triggers.sub_workflows import SubWorkflows
from tests.clock import DAY, ShiftedClock, mid_window
from tests.engine.walk.test_runs import create, workflow

LOG = [{"id": "hello", "type": "log", "data": {"message": "n={{ n }}"}}]
PARENT: Parent = {"run_id": "run_parent", "step": "start_child", "branch": None}
MAX_BYTES = 4096


@pytest.fixture
def launcher(resources: Resources) -> SubWorkflows:
    return SubWorkflows(resources.store, resources.engine.ingestor, MAX_BYTES)


def launch(
    workflow_id: str = "wf",
    key: str = "run_parent:start_child",
    tenant_id: str = "acme",
    **event: Any,
) -> Launch:
    return Launch(
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        user=event.get("user", {"id": "u1"}),
        data=event.get("data", {"n": 1}),
        key=key,
        parent=PARENT,
        depth=2,
    )


async def refusal(launcher: SubWorkflows, one: Launch) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        await launcher.launch(one)
    return caught.value


async def test_a_launch_starts_one_pending_run_of_the_published_version_as_a_sub_run(
    client: httpx.AsyncClient, resources: Resources, launcher: SubWorkflows
) -> None:
    await create(client, workflow(LOG))
    v2 = workflow([{"id": "v2", "type": "log", "data": {"message": "draft"}}])
    draft = await client.put("/api/workflows/wf?publish=false", json=v2)
    assert (draft.status_code, draft.json()["latest_version"]) == (200, 2)

    run = await launcher.launch(launch(data={"n": 7}))

    stored = await resources.store.get_run("acme", run.run_id)
    assert (stored.status, stored.version, stored.parent, stored.depth) == (
        RunStatus.PENDING,
        1,
        PARENT,
        2,
    )
    assert stored.context["n"] == 7
    assert stored.context["user"] == {"id": "u1"}
    event = await resources.store.get_event("acme", stored.event_id)
    assert (event.type, event.run_ids) == (LAUNCH_EVENT, [run.run_id])


async def test_the_same_key_twice_finds_the_run_the_first_launch_started(
    client: httpx.AsyncClient, resources: Resources, launcher: SubWorkflows
) -> None:
    await create(client, workflow(LOG))
    first = await launcher.launch(launch())
    again = await launcher.launch(launch())
    other = await launcher.launch(launch(key="run_parent:start_child:2"))
    assert again.run_id == first.run_id != other.run_id
    runs = await resources.store.list_runs("acme", RunFilter(workflow_id="wf"), Page())
    assert sorted(run.run_id for run in runs) == sorted([first.run_id, other.run_id])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (None, "workflow 'missing' not found"),
        ("unpublished", "workflow 'missing' has no published version"),
        ("disable", "workflow 'missing' is disabled"),
        ("archive", "workflow 'missing' is archived"),
    ],
)
async def test_a_workflow_that_cannot_run_is_a_final_error_naming_it(
    client: httpx.AsyncClient, launcher: SubWorkflows, change: str | None, reason: str
) -> None:
    if change == "unpublished":
        saved = await client.post("/api/workflows?publish=false", json=workflow(LOG, "missing"))
        assert saved.status_code == 201
    elif change == "disable":
        await create(client, workflow(LOG, "missing"))
        await client.post("/api/workflows/missing/disable")
    elif change == "archive":
        await create(client, workflow(LOG, "missing"))
        await client.delete("/api/workflows/missing")
    error = await refusal(launcher, launch("missing"))
    assert (error.message, error.retryable) == (reason, False)


async def test_another_tenants_workflow_is_not_found(
    client: httpx.AsyncClient, resources: Resources, launcher: SubWorkflows
) -> None:
    await create(client, workflow(LOG))
    error = await refusal(launcher, launch(tenant_id="globex"))
    assert (error.message, error.retryable) == ("workflow 'wf' not found", False)
    assert await resources.store.list_runs("globex", RunFilter(), Page()) == []


async def test_the_tenant_quota_refusing_is_retryable_after_it_resets(
    client: httpx.AsyncClient, launcher: SubWorkflows, clock: ShiftedClock
) -> None:
    mid_window(clock, DAY)  # the day's count starts again at midnight UTC
    limits = {"quota": {"runs": 1, "period": "P1D"}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 200
    await create(client, workflow(LOG))
    await launcher.launch(launch())
    error = await refusal(launcher, launch(key="second"))
    assert error.retryable
    assert error.message.startswith("Not started: tenant quota of 1 runs per 86400 s used up")
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 86400


async def test_a_workflow_rate_limit_refusing_is_retryable_within_its_period(
    client: httpx.AsyncClient, launcher: SubWorkflows
) -> None:
    await create(client, workflow(LOG, rate_limit={"limit": 1, "period": 60}))
    await launcher.launch(launch())
    error = await refusal(launcher, launch(key="second"))
    assert error.retryable
    assert "rate_limit of 1 runs per 60 s" in error.message
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 60


async def test_max_executions_reached_is_a_final_error_with_the_reason(
    client: httpx.AsyncClient, launcher: SubWorkflows
) -> None:
    await create(client, workflow(LOG, max_executions=1))
    await launcher.launch(launch())
    error = await refusal(launcher, launch(key="second"))
    assert (error.message, error.retryable) == (
        "workflow 'wf' started no run: max_executions (1) reached",
        False,
    )


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"data": nested(70)}, "data: nesting deeper than the limit of 64 levels"),
        ({"user": {"id": "u" * 300}}, "user: user.id must be 1 to 256 characters"),
        (
            {"data": {"n": 2**64}},
            "data.n: integer 18446744073709551616 is outside 64 bits",
        ),
        ({"data": {"text": "x" * MAX_BYTES}}, "user and data are 4135 bytes of JSON, over the"),
        # A key the workflow made, quoted to its start and length as a 422's location is: it
        # came whole (200,000 characters) into the run's error.
        (
            {"data": {"k" * 200_000: 2**64}},
            f"data.{'k' * 100}… (200000 characters): integer 18446744073709551616 is outside",
        ),
    ],
    ids=["too-deep", "user-id-too-long", "integer-too-big", "over-max-bytes", "huge-key"],
)
async def test_event_data_an_event_could_not_carry_is_a_final_error_naming_the_field(
    client: httpx.AsyncClient,
    resources: Resources,
    launcher: SubWorkflows,
    event: dict[str, Any],
    reason: str,
) -> None:
    await create(client, workflow(LOG))
    error = await refusal(launcher, launch(**event))
    assert not error.retryable
    assert error.message.startswith(f"the sub-run's event is refused: {reason}")
    assert await resources.store.list_runs("acme", RunFilter(), Page()) == []
