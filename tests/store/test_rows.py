from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.store.sqlite.rows import stamp

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("at", "text"),
    [
        (datetime(2026, 12, 7, 9, 30, 1, 250, tzinfo=UTC), "2026-12-07T09:30:01.000250+00:00"),
        (datetime(2026, 12, 7, 9, 30, 1, tzinfo=UTC), "2026-12-07T09:30:01.000000+00:00"),
        (
            datetime(2026, 12, 7, 10, 30, 1, 250, tzinfo=PARIS_WINTER),
            "2026-12-07T09:30:01.000250+00:00",
        ),
    ],
)
def test_an_instant_is_stamped_in_utc_to_the_microsecond(at: datetime, text: str) -> None:
    assert stamp(at) == text
