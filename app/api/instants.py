"""Times given in a query: read as UTC, and refused by name when UTC cannot
hold them."""

from datetime import UTC, datetime, timedelta

from app.errors import ErrorDetail, InvalidInput


def out_of_range(field: str) -> InvalidInput:
    return InvalidInput(
        f"{field} is outside the years 1 to 9999 once in UTC.",
        [ErrorDetail(("query", field), "a time between 0001-01-01 and 9999-12-31 in UTC")],
    )


def utc(at: datetime | None, field: str) -> datetime | None:
    """``at`` in UTC; a time without an offset is taken as UTC."""
    if at is None:
        return None
    try:
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except OverflowError:
        raise out_of_range(field) from None


def before(at: datetime, span: timedelta, field: str) -> datetime:
    """``span`` before ``at``, refused by ``field``'s name when that is before the year 1."""
    try:
        return at - span
    except OverflowError:
        raise out_of_range(field) from None
