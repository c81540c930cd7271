"""Times given in a query: ISO 8601 only, read as UTC, and refused by name when UTC cannot
hold them."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

from app.errors import ErrorDetail, InvalidInput


def iso_8601(value: Any) -> Any:
    """Text read as an ISO 8601 date-time, and nothing else: pydantic alone takes a bare
    number (``1700000000``, even ``20261206``) as seconds since 1970, which a caller who
    meant a date would never notice."""
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise ValueError(
            "must be an ISO 8601 date-time such as 2026-12-06T09:30:00Z (a number of "
            "seconds is not accepted)"
        ) from None


# A date-time query parameter.
Instant = Annotated[datetime, BeforeValidator(iso_8601)]


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
