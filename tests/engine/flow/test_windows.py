"""Send windows as pure functions of ``now``, across daylight saving time changes.

Europe/Berlin moves to summer time on 2026-03-29 (02:00 CET becomes 03:00 CEST) and back on
2026-10-25 (03:00 CEST becomes 02:00 CET)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.engine.flow.windows import UTC_ZONE, NeverOpens, opening, zone_for
from app.models.flow import QuietHours, SendWindow, Window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = QuietHours(start="21:00", end="08:00").window()


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_inside_the_window_a_step_goes_now() -> None:
    now = local(BERLIN, 2026, 6, 10, 12, 0)
    assert opening(now, [(NIGHT, BERLIN)]) == now


def test_quiet_hours_wait_for_the_local_morning() -> None:
    now = local(BERLIN, 2026, 6, 10, 22, 15)
    assert opening(now, [(NIGHT, BERLIN)]) == local(BERLIN, 2026, 6, 11, 8, 0)


def test_a_spring_forward_night_is_an_hour_shorter() -> None:
    # 23:00 CET to 08:00 CEST is 8 hours of real time, not 9.
    now = local(BERLIN, 2026, 3, 28, 23, 0)
    opens = opening(now, [(NIGHT, BERLIN)])
    assert opens == utc(2026, 3, 29, 6, 0)
    assert opens.astimezone(BERLIN).hour == 8
    assert (opens - now).total_seconds() == 8 * 3600


def test_a_fall_back_night_is_an_hour_longer() -> None:
    now = local(BERLIN, 2026, 10, 24, 23, 0)
    opens = opening(now, [(NIGHT, BERLIN)])
    assert opens == utc(2026, 10, 25, 7, 0)
    assert (opens - now).total_seconds() == 10 * 3600


def test_a_window_opening_at_a_skipped_time_opens_at_the_jump() -> None:
    quiet = QuietHours(start="01:00", end="02:30").window()
    now = local(BERLIN, 2026, 3, 29, 1, 30)
    opens = opening(now, [(quiet, BERLIN)])
    assert opens == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first instant past 02:30
    assert opens.astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"


def test_a_window_opening_at_a_repeated_time_opens_at_its_first_pass() -> None:
    quiet = QuietHours(start="00:00", end="02:30").window()
    now = local(BERLIN, 2026, 10, 25, 1, 0)
    assert opening(now, [(quiet, BERLIN)]) == utc(2026, 10, 25, 0, 30)  # 02:30 CEST


def test_a_window_inside_a_skipped_hour_does_not_happen_that_day() -> None:
    window = SendWindow(not_before="02:10", not_after="02:40").window()
    now = local(BERLIN, 2026, 3, 29, 0, 0)
    assert opening(now, [(window, BERLIN)]) == local(BERLIN, 2026, 3, 30, 2, 10)


def test_send_window_days_skip_the_weekend() -> None:
    office = SendWindow(
        not_before="09:00", not_after="17:00", days=["mon", "tue", "wed", "thu", "fri"]
    ).window()
    friday_evening = local(NEW_YORK, 2026, 11, 6, 18, 0)
    assert opening(friday_evening, [(office, NEW_YORK)]) == local(NEW_YORK, 2026, 11, 9, 9, 0)


def test_quiet_hours_and_a_send_window_together_wait_for_both() -> None:
    monday_only = SendWindow(not_before="10:00", not_after="18:00", days=["mon"]).window()
    now = local(BERLIN, 2026, 6, 8, 7, 0)  # a Monday, inside quiet hours
    windows = [(NIGHT, BERLIN), (monday_only, BERLIN)]
    assert opening(now, windows) == local(BERLIN, 2026, 6, 8, 10, 0)
    assert opening(local(BERLIN, 2026, 6, 8, 19, 0), windows) == local(BERLIN, 2026, 6, 15, 10, 0)


def test_windows_that_never_meet_raise() -> None:
    night_only = SendWindow(not_before="22:00", not_after="07:00").window()
    with pytest.raises(NeverOpens):
        opening(utc(2026, 6, 8, 12, 0), [(NIGHT, UTC_ZONE), (night_only, UTC_ZONE)])


@pytest.mark.parametrize(
    ("context", "fallback", "expected"),
    [
        ({"user": {"timezone": "America/New_York"}}, "Europe/Berlin", "America/New_York"),
        ({"user": {}, "profile": {"timezone": "Asia/Tokyo"}}, None, "Asia/Tokyo"),
        ({"user": {"timezone": "../../etc/passwd"}}, "Europe/Berlin", "Europe/Berlin"),
        ({"user": {"timezone": 7}}, None, "UTC"),
        ({}, None, "UTC"),
    ],
)
def test_the_recipients_zone_comes_first_then_the_settings(
    context: dict[str, object], fallback: str | None, expected: str
) -> None:
    assert zone_for(context, fallback).key == expected


def test_a_window_closing_at_midnight_is_open_until_then() -> None:
    evening = Window(opens=18 * 3600, closes=86400, days=frozenset(range(7)))
    late = local(BERLIN, 2026, 6, 10, 23, 59)
    assert opening(late, [(evening, BERLIN)]) == late


@pytest.mark.parametrize("name", ["America", "Etc", "Mars/Olympus", "../../etc/passwd", 7])
def test_a_user_time_zone_that_is_no_zone_falls_back(name: object) -> None:
    # Event data is untrusted: "America" names a directory of the zone database.
    assert zone_for({"user": {"timezone": name}}, "Europe/Berlin") == ZoneInfo("Europe/Berlin")
