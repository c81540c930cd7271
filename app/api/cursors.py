"""The ``after`` of a listing paged by id, refused by name when it is not an id the listing
could have handed out as ``next_after``: read as it is, a mistyped cursor is a bound that
matches nothing, and an empty last page hides the mistake."""

from app.errors import ErrorDetail, InvalidInput
from app.models.ids import is_id


def run_cursor(after: str | None) -> str | None:
    """``after`` for ``GET /api/runs``: a run id, or a parallel branch's (its parent's id,
    then ``.``)."""
    if after is not None and not is_id(after.split(".", 1)[0], "run"):
        raise _not_a_cursor("/api/runs")
    return after


def event_cursor(after: str | None) -> str | None:
    """``after`` for ``GET /api/events``: an event id."""
    if after is not None and not is_id(after, "evt"):
        raise _not_a_cursor("/api/events")
    return after


def _not_a_cursor(listing: str) -> InvalidInput:
    return InvalidInput(
        f"after must be the next_after of an earlier page of GET {listing}.",
        [ErrorDetail(("query", "after"), "the next_after of an earlier page")],
    )
