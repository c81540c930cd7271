"""One suite, every adapter: SQLite on a real file; MongoDB against a real server when
AUTOMATOR_TEST_MONGODB_URL is set, else against pymongo-async-mock (an in-memory stand-in
for PyMongo's async client, built on mongomock), so the adapter's queries still run."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo_async_mock import AsyncMongoMockClient

from app.errors import Conflict, NotFound
from app.models.audit import AuditEntry, AuditFilter
from app.models.document import WorkflowDocument
from app.models.flow import TenantLimits
from app.models.profile import ProfileFilter, SegmentDefinition, Touch
from app.models.run import Claim, EventRecord, Run, RunFilter, RunStatus, StepRecord, StepStatus
from app.models.stats import Period, RunTally
from app.models.template import MessageTemplate
from app.models.tenant import ApiKey, Role
from app.models.workflow import Page, WorkflowFilter
from app.store.mongo import MongoStore
from app.store.protocol import Correlate, Intake, Store
from app.store.rules import now
from app.store.sqlite import SQLiteStore

MONGODB_URL = os.environ.get("AUTOMATOR_TEST_MONGODB_URL")


class StandInClient(AsyncMongoMockClient):  # type: ignore[misc]
    """The stand-in's one gap with PyMongo's async client: there, ``close()`` is awaited."""

    async def close(self) -> None:
        pass


@pytest.fixture(params=["sqlite", "mongo"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "sqlite":
        opened = await SQLiteStore.open(tmp_path / "store.db")
    else:
        client: Any = (
            AsyncMongoClient(MONGODB_URL, tz_aware=True)
            if MONGODB_URL
            else StandInClient(tz_aware=True)
        )
        opened = await MongoStore.open(client, f"automator_test_{uuid.uuid4().hex[:8]}")
    yield opened
    if isinstance(opened, MongoStore) and MONGODB_URL:
        await opened._client.drop_database(opened._db.name)
    await opened.close()


def document(
    workflow_id: str = "wf", trigger: str = "user_signup", **changes: Any
) -> WorkflowDocument:
    return WorkflowDocument.model_validate(
        {
            "workflow_id": workflow_id,
            "name": f"{workflow_id} name",
            "trigger": {"type": trigger},
            "actions": [{"type": "send_email"}],
            **changes,
        }
    )


def key(tenant_id: str, key_id: str, role: Role = Role.ADMIN) -> ApiKey:
    return ApiKey(key_id, tenant_id, role, "label", "atm_abcd", now())


async def test_tenants_are_created_once(store: Store) -> None:
    tenant, created = await store.ensure_tenant("acme", "Acme")
    again, created_again = await store.ensure_tenant("acme", "Other name")
    assert (created, created_again) == (True, False)
    assert again.name == "Acme"
    assert again.tenant_id == tenant.tenant_id
    assert await store.get_tenant("nobody") is None


async def test_api_keys_are_found_by_hash_and_revoked(store: Store) -> None:
    await store.add_api_key(key("acme", "k1"), "hash-1")
    await store.add_api_key(key("globex", "k2", Role.VIEWER), "hash-2")
    found = await store.api_key_by_hash("hash-2")
    assert found is not None
    assert (found.tenant_id, found.role) == ("globex", Role.VIEWER)
    assert [k.key_id for k in await store.list_api_keys("acme")] == ["k1"]
    revoked = await store.revoke_api_key("acme", "k1")
    assert revoked.revoked_at is not None
    with pytest.raises(NotFound):
        await store.revoke_api_key("acme", "k2")  # globex's key, from acme


async def test_every_save_is_a_new_immutable_version(store: Store) -> None:
    head, v1 = await store.create_workflow("acme", document(), "k1", publish=True)
    assert (head.latest_version, head.active_version, head.enabled) == (1, 1, True)
    head, v2 = await store.add_version("acme", document(name="renamed"), "k2", publish=True)
    assert (v2.version, head.active_version, head.name) == (2, 2, "renamed")
    assert (await store.get_version("acme", "wf", 1)).document == v1.document
    versions = await store.list_versions("acme", "wf")
    assert [(v.version, v.created_by) for v in versions] == [(1, "k1"), (2, "k2")]
    assert versions[0].document["name"] == "wf name"


async def test_a_draft_does_not_change_what_is_active(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    head, draft = await store.add_version("acme", document(name="draft"), None, publish=False)
    assert (head.latest_version, head.active_version, head.name) == (2, 1, "wf name")
    head = await store.publish("acme", "wf", draft.version)
    assert (head.active_version, head.name) == (2, "draft")
    head = await store.publish("acme", "wf", 1)
    assert (head.active_version, head.name) == (1, "wf name")


async def test_publish_takes_the_documents_enabled_flag(store: Store) -> None:
    head, _ = await store.create_workflow(
        "acme", document(settings={"enabled": False}), None, publish=True
    )
    assert head.enabled is False
    assert (await store.set_enabled("acme", "wf", True)).enabled is True


async def test_creating_an_existing_workflow_conflicts(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    with pytest.raises(Conflict):
        await store.create_workflow("acme", document(), None, publish=True)
    with pytest.raises(NotFound):
        await store.add_version("acme", document("missing"), None, publish=True)


async def test_archived_workflows_leave_lists_and_can_be_created_again(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    head = await store.archive("acme", "wf")
    assert (head.archived, head.enabled) == (True, False)
    assert await store.list_workflows("acme", WorkflowFilter(), Page()) == []
    archived = await store.list_workflows("acme", WorkflowFilter(include_archived=True), Page())
    assert [h.workflow_id for h in archived] == ["wf"]
    head, version = await store.create_workflow("acme", document(), None, publish=True)
    assert (head.archived, version.version) == (False, 2)


async def test_lists_filter_and_page(store: Store) -> None:
    for n in range(5):
        trigger = "user_signup" if n % 2 == 0 else "purchase_completed"
        await store.create_workflow("acme", document(f"wf{n}", trigger), None, publish=True)
    await store.set_enabled("acme", "wf0", False)
    signups = await store.list_workflows("acme", WorkflowFilter(trigger_type="user_signup"), Page())
    assert [h.workflow_id for h in signups] == ["wf0", "wf2", "wf4"]
    enabled = await store.list_workflows("acme", WorkflowFilter(enabled=True), Page())
    assert [h.workflow_id for h in enabled] == ["wf1", "wf2", "wf3", "wf4"]
    page = await store.list_workflows("acme", WorkflowFilter(), Page(limit=2, after="wf1"))
    assert [h.workflow_id for h in page] == ["wf2", "wf3"]


async def test_every_read_and_write_is_scoped_by_tenant(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.create_workflow("globex", document("other"), None, publish=True)
    assert [
        h.workflow_id for h in await store.list_workflows("globex", WorkflowFilter(), Page())
    ] == ["other"]
    for attempt in (
        store.get_workflow("globex", "wf"),
        store.get_version("globex", "wf", 1),
        store.list_versions("globex", "wf"),
        store.publish("globex", "wf", 1),
        store.set_enabled("globex", "wf", False),
        store.archive("globex", "wf"),
        store.add_version("globex", document(), None, publish=True),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await store.get_workflow("acme", "wf")).enabled is True
    # The same workflow id may exist in two tenants, independently.
    head, _ = await store.create_workflow("globex", document(), None, publish=True)
    assert (head.tenant_id, head.latest_version) == ("globex", 1)


async def test_timestamps_are_timezone_aware(store: Store) -> None:
    head, version = await store.create_workflow("acme", document(), None, publish=True)
    stored = await store.get_workflow("acme", "wf")
    assert stored.created_at.tzinfo is not None
    assert version.created_at.tzinfo is not None
    assert abs((stored.updated_at - head.updated_at).total_seconds()) < 0.01


def event(event_id: str = "ev1", key: str | None = None, tenant_id: str = "acme") -> EventRecord:
    at = now()
    return EventRecord(
        tenant_id, event_id, "user_signup", {"id": "u1"}, {"plan": "pro"}, at, at, key
    )


def run(run_id: str, workflow_id: str = "wf", tenant_id: str = "acme", **changes: Any) -> Run:
    at = now()
    fields: dict[str, Any] = {
        "run_id": run_id, "tenant_id": tenant_id, "workflow_id": workflow_id, "version": 1,
        "event_id": "ev1", "user_id": "u1", "status": RunStatus.PENDING,
        "context": {"plan": "pro", "user": {"id": "u1"}}, "created_at": at, "updated_at": at,
        "due_at": at,
    }  # fmt: skip
    return Run(**(fields | changes))


def ids(found: list[Run]) -> list[str]:
    return [run.run_id for run in found]


def claim(key: str, owner: str, seconds: float = 3600) -> Claim:
    return Claim(key, owner, now() + timedelta(seconds=seconds))


async def test_an_accepted_event_records_its_runs(store: Store) -> None:
    accepted = await store.accept_event(Intake(event(), [run("r1"), run("r2", "other")]))
    assert not accepted.duplicate
    assert (accepted.event.run_ids, accepted.event.workflow_ids) == (["r1", "r2"], ["wf", "other"])
    stored = await store.get_event("acme", "ev1")
    assert (stored.run_ids, stored.user_id, stored.data) == (["r1", "r2"], "u1", {"plan": "pro"})
    loaded = await store.get_run("acme", "r1")
    assert (loaded.status, loaded.context["plan"], loaded.revision) == (RunStatus.PENDING, "pro", 0)


async def test_a_held_event_key_returns_the_original_event(store: Store) -> None:
    first = Intake(event("ev1", "k"), [run("r1")], event_claim=claim("event:k", "ev1"))
    await store.accept_event(first)
    again = Intake(event("ev2", "k"), [run("r2")], event_claim=claim("event:k", "ev2"))
    accepted = await store.accept_event(again)
    assert accepted.duplicate
    assert (accepted.event.event_id, accepted.event.run_ids) == ("ev1", ["r1"])
    with pytest.raises(NotFound):
        await store.get_run("acme", "r2")
    other_tenant = Intake(event("ev3", "k", "globex"), [], event_claim=claim("event:k", "ev3"))
    assert not (await store.accept_event(other_tenant)).duplicate


async def test_an_expired_key_is_taken_again(store: Store) -> None:
    await store.accept_event(Intake(event("ev1"), [], event_claim=claim("event:k", "ev1", -1)))
    accepted = await store.accept_event(
        Intake(event("ev2"), [], event_claim=claim("event:k", "ev2"))
    )
    assert not accepted.duplicate


async def test_business_keys_and_caps_skip_runs_with_a_reason(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    first = Intake(
        event("ev1"), [run("r1")], run_claims={"r1": claim("run:wf:o-1", "r1")}, caps={"wf": 2}
    )
    assert [r.run_id for r in (await store.accept_event(first)).runs] == ["r1"]
    same_order = Intake(
        event("ev2"), [run("r2")], run_claims={"r2": claim("run:wf:o-1", "r2")}, caps={"wf": 2}
    )
    skipped = await store.accept_event(same_order)
    assert skipped.runs == []
    assert "already started r1" in skipped.skipped["wf"]
    await store.accept_event(Intake(event("ev3"), [run("r3")], caps={"wf": 2}))
    capped = await store.accept_event(Intake(event("ev4"), [run("r4")], caps={"wf": 2}))
    assert capped.skipped == {"wf": "max_executions (2) reached"}


async def test_a_batch_is_accepted_in_order_and_sees_its_own_keys(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    results = await store.accept_events(
        [
            Intake(event("ev1", "k"), [run("r1")], event_claim=claim("event:k", "ev1")),
            Intake(event("ev2", "k"), [run("r2")], event_claim=claim("event:k", "ev2")),
            Intake(event("ev3"), [run("r3")], caps={"wf": 1}),
            Intake(event("ev4"), [run("r4")], caps={"wf": 1}),
        ]
    )
    assert [(r.event.event_id, r.duplicate) for r in results] == [
        ("ev1", False), ("ev1", True), ("ev3", False), ("ev4", False),
    ]  # fmt: skip
    assert [ids(r.runs) for r in results] == [["r1"], [], ["r3"], []]
    assert results[3].skipped == {"wf": "max_executions (1) reached"}
    assert (await store.get_run("acme", "r3")).status == RunStatus.PENDING
    assert await store.accept_events([]) == []


async def test_save_run_refuses_a_stale_revision(store: Store) -> None:
    await store.accept_event(Intake(event(), [run("r1")]))
    worker = await store.get_run("acme", "r1")
    control = await store.get_run("acme", "r1")
    control.status = RunStatus.PAUSED
    assert await store.save_run(control)
    worker.pc, worker.vars = 1, {"a": 1}
    at = now()
    done = StepRecord("acme", "r1", "wf", "a0", "log", 1, StepStatus.COMPLETED, at, at, "r1:a0:0")
    assert not await store.save_run(worker, [done])
    recorded = await store.list_steps("acme", "r1")
    assert [(s.step_id, s.idempotency_key) for s in recorded] == [("a0", "r1:a0:0")]
    fresh = await store.get_run("acme", "r1")
    assert (fresh.status, fresh.pc, fresh.revision) == (RunStatus.PAUSED, 0, 1)
    fresh.pc, fresh.vars, fresh.outputs = 1, {"a": 1}, {"a1": {"output": [1, 2]}}
    assert await store.save_run(fresh)
    stored = await store.get_run("acme", "r1")
    assert (stored.pc, stored.vars, stored.outputs, stored.revision) == (
        1,
        {"a": 1},
        {"a1": {"output": [1, 2]}},
        2,
    )


async def test_runs_list_newest_first_with_filters(store: Store) -> None:
    runs = [
        run("r1"),
        run("r2", user_id="u2"),
        run("r3", status=RunStatus.FAILED),
        run("r4", "other"),
    ]
    await store.accept_event(Intake(event(), runs))
    await store.accept_event(
        Intake(event("ev9", tenant_id="globex"), [run("r5", tenant_id="globex")])
    )
    assert ids(await store.list_runs("acme", RunFilter(), Page())) == ["r4", "r3", "r2", "r1"]
    assert ids(await store.list_runs("acme", RunFilter(workflow_id="wf"), Page(limit=2))) == [
        "r3",
        "r2",
    ]
    assert ids(await store.list_runs("acme", RunFilter(status=RunStatus.FAILED), Page())) == ["r3"]
    assert ids(await store.list_runs("acme", RunFilter(user_id="u2"), Page())) == ["r2"]
    assert ids(await store.list_runs("acme", RunFilter(), Page(after="r2"))) == ["r1"]
    later = now() + timedelta(hours=1)
    assert ids(await store.list_runs("acme", RunFilter(since=later), Page())) == []
    assert ids(await store.list_runs("acme", RunFilter(until=later), Page(limit=1))) == ["r4"]
    assert await store.run_counts("acme") == {
        "wf": {RunStatus.PENDING: 2, RunStatus.FAILED: 1},
        "other": {RunStatus.PENDING: 1},
    }
    with pytest.raises(NotFound):
        await store.get_run("globex", "r1")


async def test_steps_are_listed_per_run_and_per_workflow(store: Store) -> None:
    at = now()
    steps = [
        StepRecord("acme", "r1", "wf", f"a{n}", "log", 1, StepStatus.COMPLETED, at, at, f"r1:a{n}:0",
                   {"message": "hi"}, {"ok": n})
        for n in range(3)
    ]  # fmt: skip
    await store.accept_event(Intake(event(), [run("r1")]))
    assert await store.save_run(await store.get_run("acme", "r1"), steps)
    assert [s.step_id for s in await store.list_steps("acme", "r1")] == ["a0", "a1", "a2"]
    assert [s.step_id for s in await store.workflow_steps("acme", "wf", 2)] == ["a2", "a1"]
    assert await store.list_steps("globex", "r1") == []


async def test_due_runs_and_active_versions(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.create_workflow(
        "acme", document("off", settings={"enabled": False}), None, publish=True
    )
    await store.add_version("acme", document(name="draft"), None, publish=False)
    assert [(v.workflow_id, v.version) for v in await store.active_versions("acme")] == [("wf", 1)]
    revision = await store.workflows_revision("acme")
    await store.set_enabled("acme", "off", True)
    assert await store.workflows_revision("acme") != revision
    soon, later = now(), now() + timedelta(hours=1)
    await store.accept_event(Intake(event(), [run("r1", due_at=soon), run("r2", due_at=later),
                                              run("r3", status=RunStatus.COMPLETED, due_at=soon)]))  # fmt: skip
    assert await store.due_runs(now() + timedelta(seconds=1), 10) == [("acme", "r1")]


async def test_purge_drops_old_events_and_expired_keys(store: Store) -> None:
    await store.accept_event(Intake(event("old"), [], event_claim=claim("event:k", "old", -1)))
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    cutoff = now()
    await asyncio.sleep(0.01)
    await store.accept_event(Intake(event("new"), [run("r1")]))
    assert await store.purge(cutoff, now()) == 1
    with pytest.raises(NotFound):
        await store.get_event("acme", "old")
    assert (await store.get_event("acme", "new")).run_ids == ["r1"]
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING
    reused = await store.accept_event(
        Intake(event("again"), [], event_claim=claim("event:k", "again"))
    )
    assert not reused.duplicate


async def test_a_capped_run_does_not_hold_its_business_key(store: Store) -> None:
    await store.create_workflow("acme", document(), None, publish=True)
    await store.accept_event(Intake(event("ev1"), [run("r1")], caps={"wf": 1}))
    capped = Intake(
        event("ev2"), [run("r2")], run_claims={"r2": claim("run:wf:o-1", "r2")}, caps={"wf": 1}
    )
    assert (await store.accept_event(capped)).skipped == {"wf": "max_executions (1) reached"}
    uncapped = Intake(event("ev3"), [run("r3")], run_claims={"r3": claim("run:wf:o-1", "r3")})
    assert [r.run_id for r in (await store.accept_event(uncapped)).runs] == ["r3"]


async def test_live_run_counts_span_tenants_and_skip_finished_runs(store: Store) -> None:
    await store.accept_event(Intake(event(), [
        run("r1"), run("r2", status=RunStatus.WAITING), run("r3", status=RunStatus.PAUSED),
        run("r4", status=RunStatus.COMPLETED), run("r5", status=RunStatus.FAILED),
    ]))  # fmt: skip
    await store.accept_event(
        Intake(event("ev2", tenant_id="globex"), [run("r6", tenant_id="globex")])
    )
    assert await store.live_run_counts() == {
        RunStatus.PENDING: 2, RunStatus.WAITING: 1, RunStatus.PAUSED: 1,
    }  # fmt: skip


async def test_run_tallies_and_event_counts_over_a_period(store: Store) -> None:
    start = now()
    done: dict[str, Any] = {"status": RunStatus.COMPLETED, "active_seconds": 1.5}
    await store.accept_event(Intake(event(), [
        run("r1", **done), run("r2", **done), run("r3", status=RunStatus.FAILED, active_seconds=3.0),
        run("r4", "other"),
    ]))  # fmt: skip
    await store.accept_event(
        Intake(event("ev2", tenant_id="globex"), [run("r5", tenant_id="globex")])
    )
    period = Period(start - timedelta(seconds=1), now() + timedelta(seconds=1))
    tallies = sorted(
        await store.run_tallies("acme", period, None), key=lambda t: (t.workflow_id, t.status)
    )
    assert tallies == [
        RunTally("other", RunStatus.PENDING, 1, 0.0),
        RunTally("wf", RunStatus.COMPLETED, 2, 3.0),
        RunTally("wf", RunStatus.FAILED, 1, 3.0),
    ]
    assert {t.workflow_id for t in await store.run_tallies("acme", period, "other")} == {"other"}
    assert await store.count_events("acme", period) == 1
    before = Period(start - timedelta(hours=2), start - timedelta(hours=1))
    assert await store.run_tallies("acme", before, None) == []
    assert await store.count_events("acme", before) == 0


async def test_added_runs_are_recorded_once_and_branches_stay_out_of_the_counts(
    store: Store,
) -> None:
    start = now()
    await store.accept_event(Intake(event(), [run("r1", status=RunStatus.WAITING)]))
    branch = {"run_id": "r1", "step": "fan", "branch": "a"}
    first = run("r1.0.a", parent=branch, listeners=[{"key": "k1", "on": "cancel"}])
    await store.add_runs([first, run("r1.0.b", parent=branch | {"branch": "b"})])
    again = run("r1.0.a", status=RunStatus.FAILED, parent=branch)
    await store.add_runs([again])
    assert (await store.get_run("acme", "r1.0.a")).status == RunStatus.PENDING
    assert (await store.get_run("acme", "r1.0.a")).parent == branch
    sub_run = run("r2", "other", parent={"run_id": "r1", "step": "go", "branch": None}, depth=1)
    await store.add_runs([sub_run])
    assert (await store.get_run("acme", "r2")).depth == 1
    period = Period(start - timedelta(seconds=1), now() + timedelta(seconds=1))
    tallies = {
        (t.workflow_id, t.status): t.count for t in await store.run_tallies("acme", period, None)
    }
    assert tallies == {("wf", RunStatus.WAITING): 1, ("other", RunStatus.PENDING): 1}
    assert await store.run_counts("acme") == {
        "wf": {RunStatus.WAITING: 1}, "other": {RunStatus.PENDING: 1},
    }  # fmt: skip


WAITS_FOR_PURCHASE: dict[str, Any] = {
    "actions": [
        {"id": "w", "type": "wait_for_event",
         "data": {"event": "purchase_completed", "match": {"user.id": "{{user.id}}"},
                  "timeout": 60}},
    ]
}  # fmt: skip


def purchase(event_id: str, tenant_id: str = "acme") -> EventRecord:
    at = now()
    return EventRecord(tenant_id, event_id, "purchase_completed", {"id": "u1"}, {}, at, at)


def keyed(user: str) -> Correlate:
    """A stand-in for the engine's keys: the shape's paths and the user."""
    return lambda paths: f"{','.join(paths)}={user}"


def park(run: Run, key: str, seconds: float = 3600) -> None:
    at = now()
    run.status = RunStatus.WAITING
    run.due_at = at + timedelta(seconds=seconds)
    run.wait = {
        "step": "w", "event": "purchase_completed", "match": {"user.id": "u1"}, "key": key,
        "started_at": at.isoformat(), "since": at.isoformat(),
        "deadline": run.due_at.isoformat(),
    }  # fmt: skip


async def parked_runs(store: Store, tenant_id: str = "acme", **keys: str) -> None:
    """Runs (id → correlation key) parked at the wait of a workflow that waits for purchases."""
    await store.create_workflow(tenant_id, document(**WAITS_FOR_PURCHASE), None, publish=True)
    runs = [run(run_id, tenant_id=tenant_id) for run_id in keys]
    await store.accept_event(Intake(event(tenant_id=tenant_id), runs))
    for run_id, key in keys.items():
        stored = await store.get_run(tenant_id, run_id)
        park(stored, key)
        assert await store.save_run(stored)


async def test_an_event_answers_the_waits_keyed_like_it_once(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1", r2="user.id=u2")
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["r1"]
    r1 = await store.get_run("acme", "r1")
    assert r1.wait is not None
    assert (r1.status, r1.wait["resolved"]["id"], r1.wait_key) == (RunStatus.WAITING, "p1", None)
    assert r1.due_at is not None
    assert r1.due_at <= now()
    again = await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    assert again.woken == []
    assert (await store.get_run("acme", "r2")).wait_key == "user.id=u2"


async def test_waits_are_answered_only_within_their_tenant(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1")
    await parked_runs(store, "globex", g1="user.id=u1")
    answered = await store.accept_event(Intake(purchase("p1", "globex"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["g1"]
    assert (await store.get_run("acme", "r1")).wait_key == "user.id=u1"


async def test_an_event_after_the_deadline_or_for_a_cancelled_run_answers_nothing(
    store: Store,
) -> None:
    await parked_runs(store, late="user.id=u1", gone="user.id=u1")
    late = await store.get_run("acme", "late")
    park(late, "user.id=u1", seconds=-1)
    gone = await store.get_run("acme", "gone")
    gone.status = RunStatus.CANCELLED
    assert await store.save_run(late)
    assert await store.save_run(gone)
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert answered.woken == []


async def test_a_paused_run_keeps_its_wait(store: Store) -> None:
    await parked_runs(store, r1="user.id=u1")
    paused = await store.get_run("acme", "r1")
    paused.status = RunStatus.PAUSED
    assert await store.save_run(paused)
    answered = await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert ids(answered.woken) == ["r1"]
    assert (await store.get_run("acme", "r1")).status == RunStatus.PAUSED


async def test_events_are_found_by_key_within_a_window(store: Store) -> None:
    await store.create_workflow("acme", document(**WAITS_FOR_PURCHASE), None, publish=True)
    before = now() - timedelta(seconds=1)
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    found = await store.find_event("acme", "user.id=u1", before, None)
    assert found is not None
    assert found.event_id == "p1"
    assert await store.find_event("acme", "user.id=u2", before, None) is None
    assert await store.find_event("globex", "user.id=u1", before, None) is None
    assert await store.find_event("acme", "user.id=u1", now() + timedelta(seconds=1), None) is None
    assert await store.find_event("acme", "user.id=u1", before, before) is None


async def test_an_event_no_workflow_waits_for_is_not_keyed(store: Store) -> None:
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    assert await store.find_event("acme", "user.id=u1", now() - timedelta(seconds=5), None) is None


async def test_secrets_are_created_replaced_rotated_and_deleted(store: Store) -> None:
    first, created = await store.put_secret("acme", "API_KEY", "token-1")
    assert (created, first.ciphertext, first.rotated_at) == (True, "token-1", None)
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    replaced, created = await store.put_secret("acme", "API_KEY", "token-2")
    assert (created, replaced.ciphertext) == (False, "token-2")
    assert replaced.created_at == first.created_at
    assert replaced.updated_at > first.updated_at
    rotated = await store.rotate_secret("acme", "API_KEY", "token-3")
    assert rotated.ciphertext == "token-3"
    assert rotated.rotated_at is not None
    await store.put_secret("acme", "OTHER", "token-4")
    assert [s.name for s in await store.list_secrets("acme")] == ["API_KEY", "OTHER"]
    assert [s.name for s in await store.get_secrets("acme", ["OTHER", "MISSING"])] == ["OTHER"]
    await store.delete_secret("acme", "OTHER")
    assert await store.get_secrets("acme", ["OTHER"]) == []
    with pytest.raises(NotFound):
        await store.delete_secret("acme", "OTHER")
    with pytest.raises(NotFound):
        await store.rotate_secret("acme", "MISSING", "token")


async def test_secrets_belong_to_their_tenant(store: Store) -> None:
    await store.put_secret("acme", "API_KEY", "acme-token")
    await store.put_secret("globex", "API_KEY", "globex-token")
    assert [s.ciphertext for s in await store.get_secrets("globex", ["API_KEY"])] == [
        "globex-token"
    ]
    assert await store.list_secrets("initech") == []
    with pytest.raises(NotFound):
        await store.rotate_secret("initech", "API_KEY", "token")
    with pytest.raises(NotFound):
        await store.delete_secret("initech", "API_KEY")
    assert [(s.tenant_id, s.name) for s in await store.all_secrets()] == [
        ("acme", "API_KEY"), ("globex", "API_KEY"),
    ]  # fmt: skip


async def test_re_encryption_never_undoes_a_newer_value(store: Store) -> None:
    await store.put_secret("acme", "API_KEY", "old-token")
    assert await store.replace_ciphertext("acme", "API_KEY", "old-token", "same-value-new-key")
    await store.rotate_secret("acme", "API_KEY", "rotated-token")
    assert not await store.replace_ciphertext(
        "acme", "API_KEY", "same-value-new-key", "stale-value-new-key"
    )
    assert [s.ciphertext for s in await store.get_secrets("acme", ["API_KEY"])] == ["rotated-token"]


async def test_integration_configs_per_tenant(store: Store) -> None:
    config = {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"}, "n": [1, 2.5]}
    stored, created = await store.put_integration("acme", "legacy_erp", config)
    assert (created, stored.config) == (True, config)
    replaced, created = await store.put_integration("acme", "legacy_erp", {"url": "https://b"})
    assert (created, replaced.created_at) == (False, stored.created_at)
    await store.put_integration("acme", "crm", {})
    assert [i.code for i in await store.list_integrations("acme")] == ["crm", "legacy_erp"]
    found = await store.get_integration("acme", "legacy_erp")
    assert found is not None
    assert found.config == {"url": "https://b"}
    assert await store.get_integration("globex", "legacy_erp") is None
    with pytest.raises(NotFound):
        await store.delete_integration("globex", "legacy_erp")
    await store.delete_integration("acme", "legacy_erp")
    assert await store.get_integration("acme", "legacy_erp") is None


def user_event(
    event_id: str, user: dict[str, Any], tenant_id: str = "acme", days_ago: float = 0
) -> EventRecord:
    received = now()
    return EventRecord(
        tenant_id, event_id, "page_viewed", user, {}, received - timedelta(days=days_ago), received
    )


async def test_events_upsert_the_profile_of_their_user(store: Store) -> None:
    await store.accept_event(
        Intake(user_event("ev1", {"id": "u1", "plan": "free"}, days_ago=3), [])
    )
    await store.accept_event(
        Intake(user_event("ev2", {"id": "u1", "email": "a@b.c", "plan": "pro"}), [run("r1")])
    )
    profile = await store.get_profile("acme", "u1")
    assert profile.attributes == {"plan": "pro", "email": "a@b.c"}
    assert profile.event_count == 2
    assert (now() - profile.first_seen).days == 3
    assert (now() - profile.last_seen).total_seconds() < 60
    # The run sees the profile as it stands after its own event.
    context = (await store.get_run("acme", "r1")).context
    assert (context["profile"]["plan"], context["profile"]["event_count"]) == ("pro", 2)
    assert context["profile"]["id"] == "u1"


async def test_an_older_event_does_not_move_last_seen_back(store: Store) -> None:
    await store.accept_event(Intake(user_event("ev1", {"id": "u1"}), []))
    seen = (await store.get_profile("acme", "u1")).last_seen
    await store.accept_event(Intake(user_event("ev2", {"id": "u1", "n": 1}, days_ago=30), []))
    profile = await store.get_profile("acme", "u1")
    assert (profile.last_seen, profile.attributes, profile.event_count) == (seen, {"n": 1}, 2)
    assert (now() - profile.first_seen).days == 30


async def test_a_duplicate_event_does_not_touch_the_profile(store: Store) -> None:
    first = Intake(user_event("ev1", {"id": "u1", "a": 1}), [], event_claim=claim("event:k", "ev1"))
    await store.accept_event(first)
    again = Intake(user_event("ev2", {"id": "u1", "a": 2}), [], event_claim=claim("event:k", "ev2"))
    assert (await store.accept_event(again)).duplicate
    profile = await store.get_profile("acme", "u1")
    assert (profile.attributes, profile.event_count) == ({"a": 1}, 1)


async def test_update_profile_merges_without_counting_activity(store: Store) -> None:
    await store.accept_event(Intake(user_event("ev1", {"id": "u1", "a": 1, "b": 2}), []))
    before = await store.get_profile("acme", "u1")
    change = await store.update_profile("acme", Touch("u1", {"b": None, "c": True, "a": 1}, now()))
    assert (change.created, sorted(change.changed), change.refused) == (False, ["b", "c"], None)
    after = await store.get_profile("acme", "u1")
    assert after.attributes == {"a": 1, "c": True}
    assert (after.event_count, after.last_seen) == (1, before.last_seen)
    created = await store.update_profile("acme", Touch("u2", {"x": "y"}, now()))
    assert (created.created, created.profile.event_count) == (True, 0)


async def test_profile_attributes_are_bounded(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "small.db", profile_max_bytes=1024)
    try:
        await store.update_profile("acme", Touch("u1", {"small": "x"}, now()))
        refused = await store.update_profile("acme", Touch("u1", {"big": "x" * 2000}, now()))
        assert refused.refused is not None
        assert "over the limit of 1024 bytes" in refused.refused
        await store.accept_event(Intake(user_event("ev1", {"id": "u1", "big": "x" * 2000}), []))
        profile = await store.get_profile("acme", "u1")
        assert (profile.attributes, profile.event_count) == ({"small": "x"}, 1)
    finally:
        await store.close()


async def test_profiles_list_by_user_filtered_by_last_seen(store: Store) -> None:
    for n, days in enumerate((10, 5, 1, 0)):
        await store.accept_event(Intake(user_event(f"ev{n}", {"id": f"u{n}"}, days_ago=days), []))
    await store.accept_event(Intake(user_event("ev9", {"id": "u9"}, "globex"), []))

    async def users(where: ProfileFilter | None = None, page: Page | None = None) -> list[str]:
        found = await store.list_profiles("acme", where or ProfileFilter(), page or Page())
        return [p.user_id for p in found]

    assert await users() == ["u0", "u1", "u2", "u3"]
    week_ago = now() - timedelta(days=7)
    assert await users(ProfileFilter(seen_before=week_ago)) == ["u0"]
    assert await users(ProfileFilter(seen_after=week_ago)) == ["u1", "u2", "u3"]
    two_days = now() - timedelta(days=2)
    assert await users(ProfileFilter(seen_before=two_days, seen_after=week_ago)) == ["u1"]
    assert await users(page=Page(limit=2, after="u0")) == ["u1", "u2"]


async def test_profiles_are_scoped_by_tenant(store: Store) -> None:
    await store.accept_event(Intake(user_event("ev1", {"id": "u1", "secret": "acme's"}), []))
    await store.accept_event(Intake(user_event("ev2", {"id": "u1", "x": 1}, "globex"), []))
    assert (await store.get_profile("globex", "u1")).attributes == {"x": 1}
    with pytest.raises(NotFound):
        await store.get_profile("initech", "u1")
    await store.update_profile("globex", Touch("u1", {"y": 2}, now()))
    assert (await store.get_profile("acme", "u1")).attributes == {"secret": "acme's"}


OLD = [{"field": "last_seen", "operator": "before", "value": "now-P7D"}]


async def test_segments_are_saved_replaced_and_listed(store: Store) -> None:
    segment, created = await store.save_segment("acme", "inactive", SegmentDefinition("Idle", OLD))
    assert (created, segment.name, segment.conditions) == (True, "Idle", OLD)
    newer = [{"field": "plan", "operator": "equals", "value": "pro"}]
    replaced, created = await store.save_segment(
        "acme", "inactive", SegmentDefinition("Idle pros", newer, "who pays")
    )
    assert (created, replaced.conditions, replaced.description) == (False, newer, "who pays")
    assert replaced.created_at == segment.created_at
    await store.save_segment("acme", "b", SegmentDefinition("B", OLD))
    await store.save_segment("globex", "c", SegmentDefinition("C", OLD))
    assert [s.segment_id for s in await store.list_segments("acme", Page())] == ["b", "inactive"]
    assert [s.segment_id for s in await store.list_segments("acme", Page(after="b"))] == [
        "inactive"
    ]
    with pytest.raises(NotFound):
        await store.get_segment("globex", "inactive")


async def test_campaign_membership_is_added_once(store: Store) -> None:
    assert await store.add_to_campaign("acme", "spring", "u2", now(), "Spring sale")
    assert await store.add_to_campaign("acme", "spring", "u1", now(), None)
    assert not await store.add_to_campaign("acme", "spring", "u1", now(), "Renamed")
    assert await store.add_to_campaign("acme", "autumn", "u1", now(), None)
    await store.add_to_campaign("globex", "spring", "u9", now(), None)
    campaigns = await store.list_campaigns("acme", Page())
    assert [(c.campaign_id, c.name, c.members) for c in campaigns] == [
        ("autumn", "autumn", 1),
        ("spring", "Spring sale", 2),
    ]
    members = await store.campaign_members("acme", "spring", Page())
    assert [m.user_id for m in members] == ["u1", "u2"]
    assert [m.user_id for m in await store.campaign_members("acme", "spring", Page(1, "u1"))] == [
        "u2"
    ]
    assert (await store.get_campaign("globex", "spring")).members == 1
    with pytest.raises(NotFound):
        await store.campaign_members("globex", "autumn", Page())


async def test_tenant_limits_are_replaced_whole_and_kept_per_tenant(store: Store) -> None:
    assert await store.get_limits("acme") == TenantLimits()
    first = TenantLimits.model_validate({"quota": {"runs": 10, "period": "P1D"}})
    await store.set_limits("acme", first)
    second = TenantLimits.model_validate({"concurrency": {"limit": 1, "key": "{{ site }}"}})
    assert await store.set_limits("acme", second) == second
    found = await store.get_limits("acme")
    assert found.canonical() == {"concurrency": {"limit": 1, "key": "{{ site }}"}}
    assert await store.get_limits("globex") == TenantLimits()


LISTENS_FOR_PURCHASE: dict[str, Any] = {
    "settings": {"goal": {"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}}
}


def listening(run_id: str, on: str, key: str = "user.id=u1", **changes: Any) -> Run:
    heard = {"event": "purchase_completed", "match": {"user.id": "u1"}, "key": key, "on": on}
    return run(run_id, listeners=[heard], **changes)


async def test_exits_and_goals_act_on_the_runs_listening(store: Store) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(Intake(event(), [
        listening("cancel", "cancel"), listening("goal", "goal"), listening("exit", "goal_exit"),
        listening("other", "cancel", key="user.id=u2"),
        listening("done", "cancel", status=RunStatus.COMPLETED),
    ]))  # fmt: skip
    bought = purchase("p1")
    answered = await store.accept_event(Intake(bought, [], correlate=keyed("u1")))
    assert answered.woken == []
    assert sorted(run.run_id for run in answered.ended) == ["cancel", "exit"]
    found = {r: await store.get_run("acme", r) for r in ("cancel", "goal", "exit", "other", "done")}
    assert {r: found[r].status for r in found} == {
        "cancel": RunStatus.CANCELLED, "goal": RunStatus.PENDING, "exit": RunStatus.COMPLETED,
        "other": RunStatus.PENDING, "done": RunStatus.COMPLETED,
    }  # fmt: skip
    assert found["cancel"].due_at is None
    assert found["cancel"].history[-1]["reason"] == "exit event purchase_completed (p1)"
    assert {r for r in found if found[r].converted} == {"goal", "exit"}
    converted = found["goal"].converted
    assert converted is not None
    assert converted["event_id"] == "p1"


async def test_a_goal_counts_once_and_no_save_undoes_it(store: Store) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(Intake(event(), [listening("r1", "goal")]))
    walked = await store.get_run("acme", "r1")
    await store.accept_event(Intake(purchase("p1"), [], correlate=keyed("u1")))
    await store.accept_event(Intake(purchase("p2"), [], correlate=keyed("u1")))
    walked.status = RunStatus.RUNNING
    assert await store.save_run(walked)  # a walk that read the run before the goal came
    converted = (await store.get_run("acme", "r1")).converted
    assert converted is not None
    assert converted["event_id"] == "p1"


async def test_neither_the_event_that_starts_a_run_nor_another_tenants_ends_it(
    store: Store,
) -> None:
    await store.create_workflow("acme", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    bought = purchase("p1")
    own = listening("r1", "cancel", event_id="p1")
    await store.accept_event(Intake(bought, [own], correlate=keyed("u1")))
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING
    await store.create_workflow("globex", document(**LISTENS_FOR_PURCHASE), None, publish=True)
    await store.accept_event(Intake(purchase("p2", "globex"), [], correlate=keyed("u1")))
    assert (await store.get_run("acme", "r1")).status == RunStatus.PENDING


def entry(entry_id: str, entity_id: str = "wf", actor: str = "key_1", **changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "tenant_id": "acme", "entry_id": entry_id, "at": now(), "actor": actor,
        "action": "workflow.update", "entity_type": "workflow", "entity_id": entity_id,
        "before": {"enabled": True}, "after": {"enabled": False, "document": {"a": [1]}},
    }  # fmt: skip
    return AuditEntry(**(fields | changes))


async def test_audit_entries_filter_and_page_newest_first(store: Store) -> None:
    await store.add_audit(entry("aud_1"))
    await store.add_audit(entry("aud_2", "other", action="workflow.create", before=None))
    await store.add_audit(
        entry("aud_3", "key_9", "key_2", entity_type="api_key", action="api_key.revoke")
    )
    await store.add_audit(entry("aud_4", tenant_id="globex"))
    everything = await store.list_audit("acme", AuditFilter(), Page())
    assert [e.entry_id for e in everything] == ["aud_3", "aud_2", "aud_1"]
    oldest = everything[2]
    assert (oldest.actor, oldest.action, oldest.before) == (
        "key_1",
        "workflow.update",
        {"enabled": True},
    )
    assert oldest.after == {"enabled": False, "document": {"a": [1]}}
    assert everything[2].at.tzinfo is not None
    by_entity = AuditFilter(entity_type="workflow", entity_id="wf")
    assert [e.entry_id for e in await store.list_audit("acme", by_entity, Page())] == ["aud_1"]
    by_actor = await store.list_audit("acme", AuditFilter(actor="key_2"), Page())
    assert [(e.entry_id, e.action) for e in by_actor] == [("aud_3", "api_key.revoke")]
    paged = await store.list_audit("acme", AuditFilter(), Page(limit=1, after="aud_3"))
    assert [e.entry_id for e in paged] == ["aud_2"]
    later = AuditFilter(since=now() + timedelta(seconds=1))
    assert await store.list_audit("acme", later, Page()) == []


async def test_a_runs_variants_and_loop_frames_are_kept(store: Store) -> None:
    await store.accept_event(Intake(event(), [run("r1")]))
    stored = await store.get_run("acme", "r1")
    stored.variants = {"subject": "long"}
    stored.loops = {"each": {"items": [{"sku": "A"}, {"sku": "B"}], "index": 1}}
    assert await store.save_run(stored)
    again = await store.get_run("acme", "r1")
    assert (again.variants, again.loops) == (stored.variants, stored.loops)


def message(
    tenant_id: str, name: str, subject: str | None = "Hi {{ user_name }}"
) -> MessageTemplate:
    at = now()
    return MessageTemplate(tenant_id, name, subject, "Hello", "<p>Hello</p>", at, at)


async def test_message_templates_are_stored_per_tenant_by_name(store: Store) -> None:
    created = await store.create_template(message("acme", "welcome_email"))
    await store.create_template(message("acme", "cart_reminder"))
    await store.create_template(message("globex", "welcome_email", subject="Globex"))
    found = await store.get_template("acme", "welcome_email")
    assert (found.subject, found.text, found.html) == (
        "Hi {{ user_name }}",
        "Hello",
        "<p>Hello</p>",
    )
    assert (await store.get_template("globex", "welcome_email")).subject == "Globex"
    names = [t.name for t in await store.list_templates("acme", Page())]
    assert names == ["cart_reminder", "welcome_email"]
    after = await store.list_templates("acme", Page(limit=1, after="cart_reminder"))
    assert [t.name for t in after] == ["welcome_email"]
    with pytest.raises(Conflict):
        await store.create_template(message("acme", "welcome_email"))
    with pytest.raises(NotFound):
        await store.get_template("initech", "welcome_email")
    assert created.name == "welcome_email"


async def test_a_template_update_keeps_its_creation_time(store: Store) -> None:
    created = await store.create_template(message("acme", "welcome_email"))
    later = now() + timedelta(seconds=5)
    changed = MessageTemplate("acme", "welcome_email", None, "Bye", None, later, later)
    updated = await store.update_template(changed)
    assert (updated.subject, updated.text, updated.html) == (None, "Bye", None)
    assert abs(updated.created_at - created.created_at) < timedelta(milliseconds=1)
    assert updated.updated_at > updated.created_at
    assert (await store.get_template("acme", "welcome_email")).text == "Bye"
    with pytest.raises(NotFound):
        await store.update_template(replace(changed, tenant_id="globex"))


async def test_a_template_is_deleted_only_by_its_tenant(store: Store) -> None:
    await store.create_template(message("acme", "welcome_email"))
    with pytest.raises(NotFound):
        await store.delete_template("globex", "welcome_email")
    await store.delete_template("acme", "welcome_email")
    with pytest.raises(NotFound):
        await store.get_template("acme", "welcome_email")
    with pytest.raises(NotFound):
        await store.delete_template("acme", "welcome_email")
