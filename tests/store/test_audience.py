"""Profiles, segments and campaigns, on every adapter."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.clock import SystemClock
from app.errors import NotFound
from app.models.profile import ProfileFilter, SegmentDefinition, Touch
from app.models.run import EventRecord
from app.models.workflow import Page
from app.store.protocol import Intake, Store
from app.store.sqlite import SQLiteStore
from tests.clock import now
from tests.store.records import claim, run


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


async def test_a_batch_touches_each_profile_as_its_events_would_one_by_one(
    store: Store,
) -> None:
    await store.accept_event(Intake(user_event("ev0", {"id": "u1", "plan": "free"}), []))
    before = await store.get_profile("acme", "u1")
    await store.accept_events(
        [
            Intake(user_event("ev1", {"id": "u1", "plan": "pro"}), [run("r1")]),
            Intake(user_event("ev2", {"id": "u2", "email": "b@c.d"}), []),
            Intake(user_event("ev3", {"id": "u1", "email": "a@b.c"}), [run("r3")]),
            Intake(user_event("ev4", {"id": "u3"}, tenant_id="globex"), []),
        ]
    )
    u1 = await store.get_profile("acme", "u1")
    assert (u1.attributes, u1.event_count) == ({"plan": "pro", "email": "a@b.c"}, 3)
    assert u1.revision == before.revision + 2
    assert (await store.get_profile("acme", "u2")).attributes == {"email": "b@c.d"}
    assert (await store.get_profile("globex", "u3")).event_count == 1
    # Each run sees the profile as its own event left it.
    first, last = [(await store.get_run("acme", r)).context["profile"] for r in ("r1", "r3")]
    assert (first["plan"], first.get("email"), first["event_count"]) == ("pro", None, 2)
    assert (last["email"], last["event_count"]) == ("a@b.c", 3)


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
    store = await SQLiteStore.open(tmp_path / "small.db", SystemClock(), profile_max_bytes=1024)
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
