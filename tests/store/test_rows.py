from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.store.sqlite.rows import save_text, stamp

PARIS_WINTER = timezone(timedelta(hours=1))
# An offset with seconds, which orjson would drop.
ODD_OFFSET = timezone(timedelta(hours=1, seconds=1))


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


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 7, 9, 30, 1, 250, tzinfo=UTC),
        datetime(2026, 12, 7, 9, 30, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 12, 7, 10, 30, 1, 250, tzinfo=PARIS_WINTER),
        datetime(2026, 12, 7, 10, 30, 1, tzinfo=ODD_OFFSET),
    ],
)
def test_a_saved_instant_reads_as_its_iso_text(at: datetime) -> None:
    assert save_text(at) == at.isoformat()
