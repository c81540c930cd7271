"""How a touch changes a profile: shallow merge, null removes, activity, the size bound."""

from datetime import UTC, datetime, timedelta

from app.models.profile import Profile, Touch, apply

AT = datetime(2026, 11, 23, 12, tzinfo=UTC)


def profile(**attributes: object) -> Profile:
    return Profile("acme", "u1", dict(attributes), AT, AT, 3, AT, revision=4)


def test_a_first_event_creates_the_profile_without_its_id() -> None:
    change = apply("acme", None, Touch("u1", {"id": "u1", "plan": "pro"}, AT, AT), 1024)
    assert (change.created, change.changed) == (True, ["plan"])
    assert change.profile.attributes == {"plan": "pro"}
    assert (change.profile.first_seen, change.profile.event_count) == (AT, 1)


def test_top_level_keys_are_replaced_and_null_removes_one() -> None:
    existing = profile(plan="free", address={"city": "Oslo", "zip": "0150"}, phone="+47")
    later = AT + timedelta(hours=1)
    touch = Touch("u1", {"address": {"city": "Bergen"}, "phone": None, "gone": None}, later)
    change = apply("acme", existing, touch, 1024)
    assert change.profile.attributes == {"plan": "free", "address": {"city": "Bergen"}}
    assert sorted(change.changed) == ["address", "phone"]
    # Without seen_at it is not activity.
    assert (change.profile.last_seen, change.profile.event_count) == (AT, 3)
    assert (change.profile.updated_at, change.profile.revision) == (later, 5)


def test_true_and_one_are_different_values() -> None:
    change = apply("acme", profile(flag=1), Touch("u1", {"flag": True}, AT), 1024)
    assert change.changed == ["flag"]
    assert apply("acme", profile(flag=True), Touch("u1", {"flag": True}, AT), 1024).changed == []


def test_activity_moves_first_and_last_seen_outwards_only() -> None:
    earlier, later = AT - timedelta(days=2), AT + timedelta(days=1)
    older = apply("acme", profile(), Touch("u1", {}, later, seen_at=earlier), 1024).profile
    assert (older.first_seen, older.last_seen, older.event_count) == (earlier, AT, 4)
    newer = apply("acme", profile(), Touch("u1", {}, later, seen_at=later), 1024).profile
    assert (newer.first_seen, newer.last_seen) == (AT, later)


def test_attributes_past_the_bound_are_refused_but_activity_counts() -> None:
    touch = Touch("u1", {"blob": "x" * 2000}, AT, seen_at=AT + timedelta(hours=1))
    change = apply("acme", profile(plan="pro"), touch, 1024)
    assert change.refused is not None
    assert "over the limit of 1024 bytes (AUTOMATOR_PROFILE_MAX_BYTES)" in change.refused
    assert (change.profile.attributes, change.changed) == ({"plan": "pro"}, [])
    assert change.profile.event_count == 4


def test_the_view_puts_its_own_fields_over_attributes() -> None:
    view = profile(plan="pro", last_seen="spoofed").view(AT + timedelta(days=8, hours=1))
    assert view["plan"] == "pro"
    assert view["last_seen"] == AT.isoformat()
    assert (view["id"], view["event_count"], view["days_since_last_seen"]) == ("u1", 3, 8)
