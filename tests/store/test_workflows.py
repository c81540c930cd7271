"""Workflows and their versions, on every adapter."""

import pytest

from app.errors import Conflict, NotFound
from app.models.workflow import Page, WorkflowFilter
from app.store.protocol import Store
from tests.store.records import document


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
    assert (await store.set_enabled("acme", "wf", enabled=True)).enabled is True


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


async def test_workflows_are_counted_by_tenant_without_the_archived(store: Store) -> None:
    for workflow_id in ("a", "b", "c"):
        await store.create_workflow("acme", document(workflow_id), None, publish=True)
    await store.create_workflow("other", document("d"), None, publish=True)
    await store.archive("acme", "b")
    counts = [await store.count_workflows(tenant) for tenant in ("acme", "other", "nobody")]
    assert counts == [2, 1, 0]


async def test_lists_filter_and_page(store: Store) -> None:
    for n in range(5):
        trigger = "user_signup" if n % 2 == 0 else "purchase_completed"
        await store.create_workflow("acme", document(f"wf{n}", trigger), None, publish=True)
    await store.set_enabled("acme", "wf0", enabled=False)
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
        store.set_enabled("globex", "wf", enabled=False),
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


async def test_the_scheduler_finds_a_schedule_among_the_triggers(store: Store) -> None:
    nightly = {"type": "schedule", "cron": "0 3 * * *"}
    await store.create_workflow("t1", document("events_only"), None, publish=True)
    both = document("both", triggers=[nightly])
    head, _ = await store.create_workflow("t1", both, None, publish=True)
    assert (head.trigger_type, head.scheduled) == ("user_signup", True)
    scheduled = {version.workflow_id for version in await store.scheduled_versions()}
    assert scheduled == {"both"}
    await store.add_version("t1", document("both"), None, publish=True)  # the schedule goes
    assert await store.scheduled_versions() == []


async def test_a_workflow_carries_its_newest_versions_tags_and_lists_filter_by_one(
    store: Store,
) -> None:
    head, _ = await store.create_workflow("acme", document(tags=["growth"]), None, publish=True)
    assert head.tags == ["growth"]
    await store.create_workflow("acme", document("plain"), None, publish=True)
    head, _ = await store.add_version(
        "acme", document(tags=["growth", "emea"]), None, publish=False
    )
    assert (head.tags, head.active_version) == (["growth", "emea"], 1)
    assert (await store.get_workflow("acme", "wf")).tags == ["growth", "emea"]
    assert (await store.get_workflow("acme", "plain")).tags == []
    tagged = await store.list_workflows("acme", WorkflowFilter(tag="emea"), Page())
    assert [h.workflow_id for h in tagged] == ["wf"]
    assert await store.list_workflows("acme", WorkflowFilter(tag="emeA"), Page()) == []
    assert await store.list_workflows("globex", WorkflowFilter(tag="emea"), Page()) == []
    await store.archive("acme", "wf")
    assert await store.list_workflows("acme", WorkflowFilter(tag="emea"), Page()) == []
    archived = WorkflowFilter(include_archived=True, tag="growth")
    assert [h.workflow_id for h in await store.list_workflows("acme", archived, Page())] == ["wf"]


async def test_a_pending_publication_waits_beside_the_active_version(store: Store) -> None:
    await store.create_workflow("acme", document(), "k1", publish=True)
    await store.add_version("acme", document(name="second"), "k1", publish=False)
    with pytest.raises(NotFound):
        await store.request_publish("acme", "wf", 9, "k1")
    head = await store.request_publish("acme", "wf", 2, "k1")
    assert (head.active_version, head.pending_version, head.pending_by) == (1, 2, "k1")
    assert head.pending_at is not None
    assert head.pending_at.tzinfo is not None
    read = await store.get_workflow("acme", "wf")
    assert (read.pending_version, read.pending_by, read.name) == (2, "k1", "wf name")
    assert [v.version for v in await store.active_versions("acme")] == [1]
    approved = await store.decide_publish("acme", "wf", read, approve=True)
    assert (approved.active_version, approved.pending_version, approved.name) == (2, None, "second")
    assert (await store.get_workflow("acme", "wf")).pending_by is None
    with pytest.raises(Conflict):
        await store.decide_publish("acme", "wf", read, approve=True)


async def test_an_approval_keeps_a_disable_or_archive_made_while_it_waited(
    store: Store,
) -> None:
    """An old request approved does not undo "disable now" (or an archive) done since it
    was made; a first publication takes the document's enabled flag."""
    await store.create_workflow("acme", document("new"), "k1", publish=False)
    first = await store.request_publish("acme", "new", 1, "k1")
    head = await store.decide_publish("acme", "new", first, approve=True)
    assert (head.active_version, head.enabled) == (1, True)

    await store.create_workflow("acme", document(), "k1", publish=True)
    await store.add_version("acme", document(name="second"), "k1", publish=False)
    request = await store.request_publish("acme", "wf", 2, "k1")
    await store.set_enabled("acme", "wf", enabled=False)
    approved = await store.decide_publish("acme", "wf", request, approve=True)
    assert (approved.active_version, approved.enabled, approved.name) == (2, False, "second")
    assert (await store.get_workflow("acme", "wf")).enabled is False

    await store.add_version("acme", document(name="third"), "k1", publish=False)
    request = await store.request_publish("acme", "wf", 3, "k1")
    await store.archive("acme", "wf")
    approved = await store.decide_publish("acme", "wf", request, approve=True)
    assert (approved.active_version, approved.enabled, approved.archived) == (3, False, True)


async def test_a_publication_decided_or_replaced_meanwhile_is_a_conflict(store: Store) -> None:
    await store.create_workflow("acme", document(), "k1", publish=True)
    await store.request_publish("acme", "wf", 1, "k1")
    first = await store.get_workflow("acme", "wf")
    await store.add_version("acme", document(name="second"), "k2", publish=False)
    await store.request_publish("acme", "wf", 2, "k2")
    with pytest.raises(Conflict):
        await store.decide_publish("acme", "wf", first, approve=True)
    rejected = await store.decide_publish(
        "acme", "wf", await store.get_workflow("acme", "wf"), approve=False
    )
    assert (rejected.active_version, rejected.pending_version, rejected.name) == (
        1,
        None,
        "wf name",
    )
