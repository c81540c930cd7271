"""User profiles, saved segments and campaigns.

A profile is kept per tenant and user id. Every accepted event with a user id merges the
event's ``user`` object into its attributes and moves ``last_seen``; ``update_user_profile``
merges data without counting as activity. Attributes merge shallowly: a top-level key is
replaced, and a ``null`` value removes it. ``id`` is the profile's key, never an attribute.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from app.models.timestamps import iso_text

# Names the profile view sets itself; an attribute of one of these names is stored but
# shadowed in ``profile.*`` (the API still shows it under ``attributes``).
VIEW_FIELDS = ("id", "first_seen", "last_seen", "event_count", "days_since_last_seen")
USER_ID_MAX_LENGTH = 256
# The default bound of one profile's attributes, in bytes of JSON.
MAX_BYTES = 64 * 1024
DAY_SECONDS = 86400


# Not frozen: see the note on EventRecord in app/models/run.py.
@dataclass
class Profile:
    tenant_id: str
    user_id: str
    attributes: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    event_count: int
    updated_at: datetime
    # Moves on with every write: MongoDB writes only over the revision it read.
    revision: int = 0

    def view(self, now: datetime) -> dict[str, Any]:
        """What conditions and templates see as ``profile``: the attributes, then ``id``,
        ``first_seen`` and ``last_seen`` (ISO 8601), ``event_count`` and whole
        ``days_since_last_seen`` as of ``now``."""
        idle = max(0.0, (now - self.last_seen).total_seconds())
        return {
            **self.attributes,
            "id": self.user_id,
            "first_seen": iso_text(self.first_seen),
            "last_seen": iso_text(self.last_seen),
            "event_count": self.event_count,
            "days_since_last_seen": int(idle // DAY_SECONDS),
        }

    def as_user(self) -> dict[str, Any]:
        """The profile as a run's ``user``: its attributes and ``id``."""
        return {**self.attributes, "id": self.user_id}


# Not frozen: see the note on EventRecord in app/models/run.py.
@dataclass
class Touch:
    """A change to one profile made at ``at``: attributes to merge and, when it comes from
    the user's own event, ``seen_at``: when the user was active (it moves ``first_seen`` /
    ``last_seen`` and counts the event)."""

    user_id: str
    attributes: dict[str, Any]
    at: datetime
    seen_at: datetime | None = None


# Not frozen: see the note on EventRecord in app/models/run.py.
@dataclass
class ProfileChange:
    profile: Profile
    created: bool
    changed: list[str] = field(default_factory=list)
    # Why the attributes were not merged (the result would pass the size bound), or None.
    refused: str | None = None


def _differs(old: Any, new: Any) -> bool:
    # type() keeps True apart from 1, as conditions do.
    return type(old) is not type(new) or old != new


def _merged(
    attributes: dict[str, Any], incoming: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """``attributes`` with ``incoming`` merged in, and the keys that changed; ``attributes``
    itself when none did (most events repeat what their user's profile holds)."""
    changed = [
        key
        for key, value in incoming.items()
        if key != "id"
        and (
            key in attributes
            if value is None
            else key not in attributes or _differs(attributes[key], value)
        )
    ]
    if not changed:
        return attributes, changed
    merged = dict(attributes)
    for key in changed:
        value = incoming[key]
        if value is None:
            del merged[key]
        else:
            merged[key] = value
    return merged, changed


def attribute_bytes(attributes: dict[str, Any]) -> int:
    return len(orjson.dumps(attributes))


def too_large(size: int, max_bytes: int) -> str:
    return (
        f"profile attributes would take {size} bytes of JSON, over the limit of {max_bytes} "
        "bytes (AUTOMATOR_PROFILE_MAX_BYTES)"
    )


def apply(tenant_id: str, existing: Profile | None, touch: Touch, max_bytes: int) -> ProfileChange:
    """The profile after ``touch``. Attributes that would pass ``max_bytes`` are not merged
    (``refused`` says so); the activity of the touch is still recorded."""
    at = touch.at.astimezone(UTC)
    seen = None if touch.seen_at is None else touch.seen_at.astimezone(UTC)
    if existing is None:  # a new user's: no profile of nothing to merge into first
        start = seen or at
        base_attributes: dict[str, Any] = {}
        first_seen, last_seen, count, revision = start, start, 0, 0
    else:
        base_attributes = existing.attributes
        first_seen, last_seen = existing.first_seen, existing.last_seen
        count, revision = existing.event_count, existing.revision
    attributes, changed = _merged(base_attributes, touch.attributes)
    refused = None
    if changed and (size := attribute_bytes(attributes)) > max_bytes:
        attributes, changed, refused = base_attributes, [], too_large(size, max_bytes)
    if seen is not None:
        first_seen, last_seen, count = min(first_seen, seen), max(last_seen, seen), count + 1
    profile = Profile(
        tenant_id, touch.user_id, attributes, first_seen, last_seen, count, at, revision + 1
    )
    return ProfileChange(profile, existing is None, changed, refused)


@dataclass(frozen=True)
class ProfileFilter:
    """Profiles whose ``last_seen`` is before / at or after these instants."""

    seen_before: datetime | None = None
    seen_after: datetime | None = None


@dataclass(frozen=True)
class Segment:
    """A saved, named condition group over profiles (the same conditions as workflows, in
    their JSON form)."""

    tenant_id: str
    segment_id: str
    name: str
    description: str | None
    conditions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SegmentDefinition:
    name: str
    conditions: list[dict[str, Any]]
    description: str | None = None


@dataclass(frozen=True)
class Campaign:
    """A named membership list; created by its first member."""

    tenant_id: str
    campaign_id: str
    name: str
    created_at: datetime
    members: int = 0


@dataclass(frozen=True)
class CampaignMember:
    campaign_id: str
    user_id: str
    added_at: datetime


@dataclass(frozen=True)
class Erased:
    """What erasing a person removed: counts only, never the data."""

    profiles: int
    memberships: int
    events: int
    runs: int
    steps: int
    outbox: int
