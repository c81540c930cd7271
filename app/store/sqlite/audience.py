"""User profiles, segments and campaigns on SQLite."""

from collections.abc import Iterable
from datetime import datetime
from functools import partial

import orjson

from app.models.profile import (
    Campaign,
    CampaignMember,
    Profile,
    ProfileChange,
    ProfileFilter,
    Segment,
    SegmentDefinition,
    Touch,
    apply,
)
from app.models.workflow import Page
from app.store.errors import campaign_not_found, profile_not_found, segment_not_found
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import (
    CAMPAIGNS,
    MEMBERS,
    PROFILES,
    SEGMENTS,
    marks,
    profile_row,
    stamp,
)

# An update in place where the row exists (INSERT OR REPLACE would delete and reinsert it).
PROFILE_INSERT = f"INSERT INTO profiles ({PROFILES.columns})"
PROFILE_CONFLICT = (
    "ON CONFLICT (tenant_id, user_id) DO UPDATE SET first_seen = excluded.first_seen, "
    "last_seen = excluded.last_seen, event_count = excluded.event_count, "
    "updated_at = excluded.updated_at, revision = excluded.revision, "
    "attributes = excluded.attributes"
)
PROFILE_UPSERT = f"{PROFILE_INSERT} VALUES (?,?,?,?,?,?,?,?) {PROFILE_CONFLICT}"
# Every event with a user id reads its profile: the statement built once.
PROFILE_READ = f"SELECT {PROFILES.columns} FROM profiles WHERE tenant_id = ? AND user_id = ?"
# A batch's profiles are read this many users per query (well under SQLite's 32,766
# parameters; a statement per chunk size is cached).
PROFILES_PER_READ = 500


class Audience(Connection):
    def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        return self._get_one(
            PROFILES, partial(profile_not_found, user_id), tenant_id=tenant_id, user_id=user_id
        )

    def list_profiles(self, tenant_id: str, where: ProfileFilter, page: Page) -> list[Profile]:
        return self._page(
            PROFILES,
            page,
            "user_id",
            ("tenant_id = ?", tenant_id),
            ("last_seen < ?", where.seen_before and stamp(where.seen_before)),
            ("last_seen > ?", where.seen_after and stamp(where.seen_after)),
        )

    def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        with self._transaction():
            return self._touch(tenant_id, touch)

    def _touch(self, tenant_id: str, touch: Touch) -> ProfileChange:
        """Inside a transaction: read, merge, write."""
        row = self._one(PROFILE_READ, tenant_id, touch.user_id)
        existing = None if row is None else PROFILES.read(row)
        change = apply(tenant_id, existing, touch, self._profile_max_bytes)
        self._db.execute(PROFILE_UPSERT, profile_row(change.profile))
        return change

    def _profiles(self, tenant_id: str, user_ids: Iterable[str]) -> dict[str, Profile]:
        """The stored profiles of these users, by user id (those that have one), read a few
        hundred to a query rather than one each."""
        wanted = sorted(set(user_ids))
        found: dict[str, Profile] = {}
        for start in range(0, len(wanted), PROFILES_PER_READ):
            chunk = wanted[start : start + PROFILES_PER_READ]
            rows = self._all(
                f"SELECT {PROFILES.columns} FROM profiles "
                f"WHERE tenant_id = ? AND user_id IN ({marks(chunk)})",
                tenant_id,
                *chunk,
            )
            found.update((profile.user_id, profile) for profile in map(PROFILES.read, rows))
        return found

    def _save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Inside a transaction: write these profiles as they stand."""
        self._write_rows(PROFILE_INSERT, map(profile_row, profiles), PROFILE_CONFLICT)

    def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        at = stamp(self._clock.now())
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT INTO segments ({SEGMENTS.columns}) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT (tenant_id, segment_id) DO NOTHING",
                (
                    tenant_id,
                    segment_id,
                    definition.name,
                    definition.description,
                    orjson.dumps(definition.conditions),
                    at,
                    at,
                ),
            )
            created = cursor.rowcount == 1
            if not created:
                db.execute(
                    "UPDATE segments SET name = ?, description = ?, conditions = ?, "
                    "updated_at = ? WHERE tenant_id = ? AND segment_id = ?",
                    (
                        definition.name,
                        definition.description,
                        orjson.dumps(definition.conditions),
                        at,
                        tenant_id,
                        segment_id,
                    ),
                )
        return self.get_segment(tenant_id, segment_id), created

    def get_segment(self, tenant_id: str, segment_id: str) -> Segment:
        return self._get_one(
            SEGMENTS,
            partial(segment_not_found, segment_id),
            tenant_id=tenant_id,
            segment_id=segment_id,
        )

    def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        return self._page(SEGMENTS, page, "segment_id", ("tenant_id = ?", tenant_id))

    def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO campaigns VALUES (?, ?, ?, ?)",
                (tenant_id, campaign_id, name or campaign_id, stamp(at)),
            )
            cursor = db.execute(
                "INSERT OR IGNORE INTO campaign_members VALUES (?, ?, ?, ?)",
                (tenant_id, campaign_id, user_id, stamp(at)),
            )
        return bool(cursor.rowcount == 1)

    def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        return self._get_one(
            CAMPAIGNS,
            partial(campaign_not_found, campaign_id),
            tenant_id=tenant_id,
            campaign_id=campaign_id,
        )

    def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        return self._page(CAMPAIGNS, page, "campaign_id", ("tenant_id = ?", tenant_id))

    def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        self.get_campaign(tenant_id, campaign_id)
        return self._page(
            MEMBERS,
            page,
            "user_id",
            ("tenant_id = ?", tenant_id),
            ("campaign_id = ?", campaign_id),
        )
