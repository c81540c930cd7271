from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.models.timestamps import KEPT_TEXTS, fresh_text, iso_text

PARIS_WINTER = timezone(timedelta(hours=1))
# An offset with seconds, which orjson would drop.
ODD_OFFSET = timezone(timedelta(hours=1, seconds=1))


def test_equal_instants_in_two_zones_read_as_their_own_text() -> None:
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    same_in_paris = at.astimezone(PARIS_WINTER)
    assert at == same_in_paris
    assert iso_text(at) == "2026-12-07T09:30:00+00:00"
    assert iso_text(same_in_paris) == "2026-12-07T10:30:00+01:00"
    assert iso_text(at) == "2026-12-07T09:30:00+00:00"


def test_more_instants_than_are_kept_still_read_right() -> None:
    start = datetime(2026, 12, 7, tzinfo=UTC)
    instants = [start + timedelta(microseconds=n) for n in range(KEPT_TEXTS * 2 + 1)]
    assert [iso_text(at) for at in instants] == [at.isoformat() for at in instants]
    assert [iso_text(at) for at in instants] == [at.isoformat() for at in instants]


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
def test_an_instant_written_once_reads_as_its_iso_text(at: datetime) -> None:
    assert fresh_text(at) == at.isoformat()
