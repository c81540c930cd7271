"""Send windows in the recipient's local time: pure functions of ``now``.

A window's edges are local wall-clock times, turned into instants with zoneinfo for each
local date. Where daylight saving time moves the clock:
- an edge at a time the clock skips (02:30 on a spring-forward night in Europe/Berlin) is
  the moment of the jump (03:00 CEST), the first instant the clock reads that time or later;
- an edge at a time the clock passes twice (02:30 on a fall-back night) is its first pass.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.models.flow import DAY_SECONDS, Window

# How far ahead an opening is looked for; every valid window opens at least once a week.
HORIZON = timedelta(days=8)
MAX_ROUNDS = 64
UTC_ZONE = ZoneInfo("UTC")


class NeverOpens(Exception):
    """The windows leave no moment to send within the horizon."""


def zone_named(name: Any) -> ZoneInfo | None:
    """The IANA zone ``name``, or None when it is not one (event data is untrusted)."""
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory
        return None


def zone_for(context: Mapping[str, Any], fallback: str | None) -> ZoneInfo:
    """The recipient's zone: ``user.timezone``, else ``profile.timezone``, else the
    setting's ``fallback``, else UTC."""
    for holder in ("user", "profile"):
        values = context.get(holder)
        if isinstance(values, Mapping):
            zone = zone_named(values.get("timezone"))
            if zone is not None:
                return zone
    return zone_named(fallback) or UTC_ZONE


def edge(day: date, second: int, zone: ZoneInfo) -> datetime:
    """The first instant at which the local clock reads ``second`` after midnight of ``day``
    or later (``second`` may pass midnight, into the next day)."""
    wall = datetime.combine(day, time()) + timedelta(seconds=second)
    local = wall.replace(tzinfo=zone)  # fold 0: the first pass of a repeated time
    at = local.astimezone(UTC)
    if at.astimezone(zone).replace(tzinfo=None) == wall:
        return at
    # The clock skips ``wall``: the edge is the jump, between the two readings of it.
    return _jump(local.replace(fold=1).astimezone(UTC), at, zone, wall)


def _jump(before: datetime, after: datetime, zone: ZoneInfo, wall: datetime) -> datetime:
    """The first whole second in (before, after] whose local time reads ``wall`` or later."""
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _interval(day: date, window: Window, zone: ZoneInfo) -> tuple[datetime, datetime]:
    closes = window.closes if window.closes > window.opens else window.closes + DAY_SECONDS
    return edge(day, window.opens, zone), edge(day, closes, zone)


def next_open(now: datetime, window: Window, zone: ZoneInfo) -> datetime:
    """``now`` when ``window`` is open at ``now``, else its next opening."""
    today = now.astimezone(zone).date()
    for offset in range(-1, HORIZON.days + 1):
        day = today + timedelta(days=offset)
        if day.weekday() not in window.days:
            continue
        start, end = _interval(day, window, zone)
        if start < end and now < end:  # a window inside a skipped hour is empty
            return max(start, now)
    raise NeverOpens


def opening(now: datetime, windows: Sequence[tuple[Window, ZoneInfo]]) -> datetime:
    """``now`` when every window is open, else the first instant after it when all are.
    Raises NeverOpens when that is beyond the horizon."""
    at = now
    for _ in range(MAX_ROUNDS):
        later = max((next_open(at, window, zone) for window, zone in windows), default=at)
        if later == at:
            return at
        if later - now > HORIZON:
            break
        at = later
    raise NeverOpens
