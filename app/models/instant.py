"""Date-times as the API takes them: ISO 8601 text only."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator


def iso_8601(value: Any) -> Any:
    """Text read as an ISO 8601 date-time, and nothing else: pydantic alone takes a bare
    number (``1700000000``, even ``"20261206"``) as seconds since 1970, which a caller who
    meant a date would never notice. A ``datetime`` made in code passes as it is."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.upper())
        except ValueError:
            pass
    raise ValueError(
        "must be an ISO 8601 date-time such as 2026-12-06T09:30:00Z (a number of seconds is "
        "not accepted)"
    )


# A date-time given by a client: in a query or in a body.
Instant = Annotated[datetime, BeforeValidator(iso_8601)]
