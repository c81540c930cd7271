"""Segment membership over a real store: paging, the read bound, and the last_seen window."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.clock import SystemClock
from app.models.condition import Condition
from app.models.profile import Touch
from app.models.workflow import Page
from app.store.sqlite import SQLiteStore
from app.triggers import segments
from app.triggers.segments import Audience, members_page


def audience(*conditions: dict[str, Any]) -> Audience:
    return Audience.of([Condition.model_validate(c) for c in conditions], SystemClock())


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    opened = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    # u00..u29; the even ones are pros; u00..u09 were last seen 30 days ago.
    for n in range(30):
        touch = Touch(
            f"u{n:02d}", {"plan": "pro" if n % 2 == 0 else "free"}, ago(30 if n < 10 else 1)
        )
        await opened.update_profile("acme", touch)
    yield opened
    await opened.close()


PROS = {"field": "plan", "operator": "equals", "value": "pro"}
IDLE = {"field": "last_seen", "operator": "before", "value": "now-P7D"}


async def test_a_page_stops_at_its_limit_and_says_where_to_go_on(store: SQLiteStore) -> None:
    found, after = await members_page(store, "acme", audience(PROS), Page(4), 10_000)
    assert [p.user_id for p in found] == ["u00", "u02", "u04", "u06"]
    found, after = await members_page(store, "acme", audience(PROS), Page(100, after), 10_000)
    assert [p.user_id for p in found][:2] == ["u08", "u10"]
    assert (len(found), after) == (11, None)


async def test_a_page_reads_at_most_the_scan_limit(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segments, "BATCH", 4)
    rare = (
        {"field": "plan", "operator": "equals", "value": "pro"},
        {"field": "id", "operator": "ends_with", "value": "8"},
    )
    found, after = await members_page(store, "acme", audience(*rare), Page(10), 10)
    # Ten profiles read (u00..u09): one member, and the place to go on.
    assert ([p.user_id for p in found], after) == (["u08"], "u09")
    found, after = await members_page(store, "acme", audience(*rare), Page(10, after), 100)
    assert ([p.user_id for p in found], after) == (["u18", "u28"], None)


async def test_last_seen_bounds_narrow_the_read(store: SQLiteStore) -> None:
    idle = audience({"all": [IDLE, PROS]})
    window = idle.window()
    assert window.seen_before is not None
    assert abs((window.seen_before - ago(7)).total_seconds()) < 5
    assert window.seen_after is None
    found, _ = await members_page(store, "acme", idle, Page(100), 10_000)
    assert [p.user_id for p in found] == ["u00", "u02", "u04", "u06", "u08"]
    # Inside "any" a bound proves nothing about every member: the read is not narrowed.
    either = audience({"any": [IDLE, PROS]})
    assert (either.window().seen_before, either.window().seen_after) == (None, None)
    tightest = audience(
        IDLE,
        {"field": "last_seen", "operator": "before", "value": "now-P20D"},
        {"field": "profile.last_seen", "operator": "after", "value": "2020-01-01"},
    )
    window = tightest.window()
    assert window.seen_before is not None
    assert window.seen_after is not None
    assert abs((window.seen_before - ago(20)).total_seconds()) < 5
    assert window.seen_after.year == 2019


async def test_a_page_out_of_time_stops_early_and_the_next_goes_on(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(segments, "SCAN_SECONDS", 0)
    first, after = await members_page(store, "acme", audience(PROS), Page(100), 10_000)
    assert ([p.user_id for p in first], after) == (["u00"], "u00")
    found, pages = [p.user_id for p in first], 1
    while after is not None:
        more, after = await members_page(store, "acme", audience(PROS), Page(100, after), 10_000)
        found += [p.user_id for p in more]
        pages += 1
    assert found == [f"u{n:02d}" for n in range(0, 30, 2)]
    assert pages == 31  # one profile a page, and a last one that finds the end
