from datetime import UTC, datetime, timedelta, timezone

from app.models.timestamps import KEPT_TEXTS, iso_text

PARIS_WINTER = timezone(timedelta(hours=1))


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
