from typing import Any

import pytest

from app.errors import InvalidInput
from app.models.flow import QuietHours, SendWindow, TenantLimits
from tests.models.test_document import PARSER, minimal


def settings_error(settings: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        PARSER.validate(minimal(settings=settings))
    return caught.value


def test_every_flow_setting_is_accepted_and_kept_as_written() -> None:
    settings = {
        "concurrency": {"limit": 1, "key": "{{ site }}"},
        "throttle": {"limit": 10, "period": "PT1M", "key": "{{ user.id }}"},
        "rate_limit": {"limit": 100, "period": 3600},
        "debounce": {"period": 30, "max_delay": "PT5M", "key": "{{ user.id }}"},
        "priority": 120,
        "frequency_cap": {"limit": 1, "period": "P1D"},
        "quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Europe/Berlin"},
        "send_window": {"not_before": "09:00", "not_after": "20:00:30", "days": ["mon", "fri"]},
    }
    document = PARSER.validate(minimal(settings=settings))
    assert document.canonical()["settings"] == settings


@pytest.mark.parametrize(
    ("settings", "loc", "message"),
    [
        (
            {"throttle": {"limit": 0, "period": 60}},
            ("settings", "throttle", "limit"),
            "greater than or equal to 1",
        ),
        (
            {"rate_limit": {"limit": 5, "period": 0.5}},
            ("settings", "rate_limit", "period"),
            "between 1 and 31622400 seconds",
        ),
        (
            {"rate_limit": {"limit": 5, "period": "soon"}},
            ("settings", "rate_limit", "period"),
            "ISO 8601",
        ),
        (
            {"debounce": {"period": 60, "max_delay": 30}},
            ("settings", "debounce"),
            "max_delay must be at least period",
        ),
        (
            {"frequency_cap": {"limit": 1, "period": "P40D"}},
            ("settings", "frequency_cap", "period"),
            "between 1 and 2678400 seconds",
        ),
        (
            {"quiet_hours": {"start": "25:00", "end": "08:00"}},
            ("settings", "quiet_hours", "start"),
            "should be a time of day as HH:MM or HH:MM:SS, such as 21:00",
        ),
        (
            {"quiet_hours": {"start": "08:00", "end": "08:00"}},
            ("settings", "quiet_hours"),
            "start and end must differ",
        ),
        (
            {"quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "Mars/Olympus"}},
            ("settings", "quiet_hours", "timezone"),
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            {"quiet_hours": {"start": "21:00", "end": "08:00", "timezone": "America"}},
            ("settings", "quiet_hours", "timezone"),
            "unknown time zone 'America'",
        ),
        ({"send_window": {"days": ["someday"]}}, ("settings", "send_window", "days", 0), "'mon'"),
        ({"send_window": {}}, ("settings", "send_window"), "needs not_before, not_after or days"),
        ({"priority": -5}, ("settings", "priority"), "greater than or equal to 0"),
        (
            {"concurrency": {"limit": 2, "per": "user"}},
            ("settings", "concurrency", "per"),
            "Extra inputs",
        ),
        (
            {
                "quiet_hours": {"start": "08:00", "end": "21:00"},
                "send_window": {"not_before": "09:00", "not_after": "20:00"},
            },
            ("settings",),
            "quiet_hours cover all of send_window",
        ),
    ],
)
def test_bad_flow_settings_name_the_field_and_the_rule(
    settings: dict[str, Any], loc: tuple[str | int, ...], message: str
) -> None:
    error = settings_error(settings)
    assert error.details[0].loc == loc
    assert message in error.details[0].msg


def test_quiet_hours_are_the_complement_of_a_window() -> None:
    overnight = QuietHours(start="21:00", end="08:00").window()
    assert overnight.allows(0, 12 * 3600)
    assert not overnight.allows(0, 22 * 3600)
    assert not overnight.allows(0, 7 * 3600)
    midday = QuietHours(start="12:00", end="14:00").window()
    assert midday.allows(3, 23 * 3600)
    assert midday.allows(3, 3600)
    assert not midday.allows(3, 13 * 3600)


def test_send_window_days_belong_to_the_opening_day() -> None:
    friday_night = SendWindow(not_before="22:00", not_after="02:00", days=["fri"]).window()
    assert friday_night.allows(4, 23 * 3600)
    assert friday_night.allows(5, 3600)  # Saturday 01:00 is still Friday's window
    assert not friday_night.allows(5, 23 * 3600)
    weekdays = SendWindow(days=["mon", "tue", "wed", "thu", "fri"]).window()
    assert weekdays.allows(0, 0)
    assert not weekdays.allows(6, 12 * 3600)


def test_tenant_limits_keep_only_what_was_written() -> None:
    limits = TenantLimits.model_validate({"quota": {"runs": 10, "period": "P1D"}})
    assert limits.canonical() == {"quota": {"runs": 10, "period": "P1D"}}
