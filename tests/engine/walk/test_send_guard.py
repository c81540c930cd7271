"""Send windows and frequency caps on message steps: a real worker, Redis and SQLite."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from redis.asyncio import Redis

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter
from app.actions.registry import Registry
from app.clock import SystemClock
from app.engine.expressions.renderer import Renderer
from app.engine.flow.limiters import Limiters
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.flow.windows import opening
from app.engine.walk.program import compile_program
from app.engine.walk.send_guard import SendGuard
from app.models.document import WorkflowDocument
from app.models.flow import QuietHours, TenantLimits
from app.models.run import Run, RunStatus
from app.resources import Resources
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import drain, send
from tests.engine.flow.test_limiters import FLOW_SECRET
from tests.engine.walk.test_runs import create, drain_until, run_of, workflow

SMS = {"id": "sms", "type": "send_sms", "data": {"recipient": "{{ user.phone }}"}}
HOOK = {"id": "hook", "type": "webhook_call", "data": {"url": "http://127.0.0.1:9/"}}


class Outbox(ConnectorAdapter):
    """A test connector (named so): records every SMS it is asked to send."""

    code: ClassVar[str] = "outbox"
    actions: ClassVar[Mapping[str, ActionSpec]] = {"send_sms": ActionSpec()}

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        self.sent.append(params["recipient"])
        return {"sent_to": params["recipient"]}


def outbox_registry() -> tuple[Outbox, Registry]:
    outbox, registry = Outbox(), Registry()
    registry.register(outbox)
    return outbox, registry


async def signup(client: httpx.AsyncClient, user_id: str, **user: Any) -> list[str]:
    event = {"type": "signup", "user": {"id": user_id, "phone": f"+{user_id}", **user}}
    run_ids: list[str] = (await send(client, event))["run_ids"]
    return run_ids


async def test_a_frequency_cap_of_one_a_day_sends_one_message_and_records_the_skip(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await create(client, workflow([SMS], frequency_cap={"limit": 1, "period": "P1D"}))
    first, second, other_user = (
        await signup(client, "u1"),
        await signup(client, "u1"),
        await signup(client, "u2"),
    )
    outbox, registry = outbox_registry()
    await drain(settings, registry)
    assert sorted(outbox.sent) == ["+u1", "+u2"]
    u1_runs = [await run_of(client, first[0]), await run_of(client, second[0])]
    assert {run["status"] for run in u1_runs} == {"completed"}  # a capped step is no failure
    steps = sorted((run["steps"][0] for run in u1_runs), key=lambda step: step["status"])
    assert [step["status"] for step in steps] == ["completed", "skipped"]
    assert steps[1]["output"]["reason"].startswith(
        "frequency cap of 1 per 86400 s for 'u1' (workflow frequency_cap) reached"
    )
    assert (await run_of(client, other_user[0]))["steps"][0]["status"] == "completed"


async def test_a_frequency_caps_huge_key_is_shown_cut_in_the_skip_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # The reason quoted the rendered key whole, in the skipped step's output.
    cap = {"limit": 1, "period": "P1D", "key": "{{ user.team }}"}
    await create(client, workflow([SMS], frequency_cap=cap))
    team = "t" * 100_000 + "!"
    runs = [await signup(client, "u1", team=team), await signup(client, "u2", team=team)]
    await drain(settings, outbox_registry()[1])
    steps = [(await run_of(client, run_ids[0]))["steps"][0] for run_ids in runs]
    said = next(step["output"]["reason"] for step in steps if step["status"] == "skipped")
    assert f"for '{'t' * 27}...{'t' * 27}!' (workflow frequency_cap)" in said, said[:500]


async def test_the_tenants_cap_counts_across_workflows_unless_exempt(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    limits = {"frequency_cap": {"limit": 1, "period": 3600}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 200
    await create(client, workflow([SMS], workflow_id="promo"))
    await create(client, workflow([SMS], workflow_id="receipt", frequency_cap_exempt=True))
    await create(client, workflow([SMS], workflow_id="promo_2"))
    run_ids = await signup(client, "u1")
    outbox, registry = outbox_registry()
    await drain(settings, registry)
    runs = {run["workflow_id"]: run for run in [await run_of(client, r) for r in run_ids]}
    statuses = {wf: run["steps"][0]["status"] for wf, run in runs.items()}
    assert statuses["receipt"] == "completed"
    assert sorted([statuses["promo"], statuses["promo_2"]]) == ["completed", "skipped"]
    assert len(outbox.sent) == 2


async def test_quiet_hours_in_the_users_zone_hold_the_message_until_they_end(
    client: httpx.AsyncClient, settings: Settings, clock: ShiftedClock
) -> None:
    """Quiet now in Kathmandu (UTC+5:45), where the user lives, for ten more minutes of the
    test's clock; the setting's own zone (UTC) would not be quiet at this moment."""
    zone = ZoneInfo("Asia/Kathmandu")
    now = clock.now().astimezone(zone)
    start, end = now - timedelta(hours=1), now + timedelta(minutes=10)
    quiet = {
        "start": start.strftime("%H:%M:%S"),
        "end": end.strftime("%H:%M:%S"),
        "timezone": "UTC",
    }
    await create(client, workflow([{"id": "hello", "type": "log"}, SMS], quiet_hours=quiet))
    [run_id] = await signup(client, "u1", timezone="Asia/Kathmandu")
    outbox, registry = outbox_registry()
    await drain_until(client, settings, [run_id], {"waiting"}, registry=registry, clock=clock)
    assert outbox.sent == []
    opens = opening(now, [(QuietHours.model_validate(quiet).window(), zone)])
    assert opens == end.replace(microsecond=0)
    clock.advance((opens - clock.now()).total_seconds() + 1)
    await drain_until(client, settings, [run_id], {"completed"}, registry=registry, clock=clock)
    run = await run_of(client, run_id)
    assert [h["reason"] for h in run["history"]] == [
        "picked up",
        "quiet hours",
        "picked up",
        "all actions done",
    ]
    [sent] = [step for step in run["steps"] if step["step_id"] == "sms"]
    assert datetime.fromisoformat(sent["started_at"]) >= opens
    assert outbox.sent == ["+u1"]


def guarded_run(run_id: str, now: datetime, user: dict[str, Any]) -> Run:
    return Run(
        run_id=run_id,
        tenant_id="acme",
        workflow_id="wf",
        version=1,
        event_id=f"evt_{run_id}",
        user_id=user["id"],
        status=RunStatus.RUNNING,
        context={"user": user},
        created_at=now,
        updated_at=now,
    )


async def test_the_guard_waits_for_the_users_morning_on_a_spring_forward_night() -> None:
    document = WorkflowDocument.model_validate(
        workflow([SMS], quiet_hours={"start": "21:00", "end": "08:00", "timezone": "UTC"})
    )
    program = compile_program(document, 1, SystemClock())
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 28, 23, 0, tzinfo=berlin)
    run = guarded_run("run_1", now, {"id": "u1", "timezone": "Europe/Berlin"})
    hold = await SendGuard(Renderer()).check(run, program, program.instructions[0], now)
    assert hold is not None
    assert (hold.reason, hold.until) == ("quiet hours", datetime(2026, 3, 29, 6, 0, tzinfo=UTC))


async def test_a_versions_windows_hold_the_step_types_they_name_and_no_other() -> None:
    """Quiet at 23:00 UTC: by default for messages only; named, for webhooks too."""
    now = datetime(2026, 6, 10, 23, 0, tzinfo=UTC)
    run = guarded_run("run_1", now, {"id": "u1"})
    quiet: dict[str, Any] = {"start": "21:00", "end": "08:00", "timezone": "UTC"}
    for actions, held in [(None, {"send_sms"}), (["webhook_call"], {"webhook_call"})]:
        rule = quiet if actions is None else quiet | {"actions": actions}
        document = WorkflowDocument.model_validate(workflow([SMS, HOOK], quiet_hours=rule))
        program = compile_program(document, 1, SystemClock())
        holds = {
            step.action.type: await SendGuard(Renderer()).check(run, program, step, now)
            for step in program.instructions
        }
        assert {action for action, hold in holds.items() if hold is not None} == held
        assert {hold.reason for hold in holds.values() if hold is not None} == {"quiet hours"}


async def test_the_tenants_cap_is_read_as_it_is_at_each_step_of_a_version_naming_none(
    resources: Resources, redis_url: str
) -> None:
    """The version has no rule; the tenant's cap, set after its first step, counts the
    steps after it, and the second over the limit is skipped."""
    clock = SystemClock()
    program = compile_program(WorkflowDocument.model_validate(workflow([HOOK])), 1, clock)
    redis = Redis.from_url(redis_url)
    limits = TenantLimitsCache(resources.store, clock, 0)
    guard = SendGuard(Renderer(), limits, Limiters(redis, FLOW_SECRET))
    hook, now = program.instructions[0], clock.now()
    holds = [await guard.check(guarded_run("run_0", now, {"id": "u1"}), program, hook, now)]
    cap = {"frequency_cap": {"limit": 1, "period": 3600, "actions": ["webhook_call"]}}
    await resources.store.set_limits("acme", TenantLimits.model_validate(cap))
    for run_id in ("run_1", "run_2"):
        run = guarded_run(run_id, now, {"id": "u1"})
        holds.append(await guard.check(run, program, hook, now))
    await redis.aclose()
    assert holds[:2] == [None, None]
    assert holds[2] is not None
    assert holds[2].reason.startswith(
        "frequency cap of 1 per 3600 s for 'u1' (tenant frequency_cap) reached"
    )
