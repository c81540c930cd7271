"""User profiles, segments and campaigns on MongoDB."""

from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from functools import partial

from pymongo.errors import DuplicateKeyError

from app.errors import Conflict
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
from app.store.mongo.connection import Connection
from app.store.mongo.documents import CAMPAIGNS, MEMBERS, PROFILES, SEGMENTS, Doc

# A profile is written over the revision it was read at; a writer that keeps losing that race
# to others gives up after this many reads.
PROFILE_WRITE_ATTEMPTS = 20


class Audience(Connection):
    async def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        return await self._get_one(
            PROFILES, partial(profile_not_found, user_id), tenant_id=tenant_id, user_id=user_id
        )

    async def list_profiles(
        self, tenant_id: str, where: ProfileFilter, page: Page
    ) -> list[Profile]:
        query: Doc = {"tenant_id": tenant_id}
        seen = {op: at for op, at in (("$lt", where.seen_before), ("$gt", where.seen_after)) if at}
        if seen:
            query["last_seen"] = seen
        return await self._page(PROFILES, page, "user_id", query)

    async def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        """Read, merge, and write over the revision read; a lost race reads again."""
        for _ in range(PROFILE_WRITE_ATTEMPTS):
            existing = await self._find(PROFILES, tenant_id=tenant_id, user_id=touch.user_id)
            change = apply(tenant_id, existing, touch, self._profile_max_bytes)
            if await self._write_profile(change.profile, existing):
                return change
        raise Conflict(f"The profile of {touch.user_id!r} is changing too fast; retry.")

    async def _write_profile(self, profile: Profile, existing: Profile | None) -> bool:
        if existing is None:
            try:
                await self._db.profiles.insert_one(asdict(profile))
            except DuplicateKeyError:
                return False
            return True
        result = await self._db.profiles.update_one(
            {
                "tenant_id": profile.tenant_id,
                "user_id": profile.user_id,
                "revision": existing.revision,
            },
            {"$set": asdict(profile)},
        )
        return result.matched_count == 1

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        at = self._clock.now()
        result = await self._db.segments.update_one(
            {"tenant_id": tenant_id, "segment_id": segment_id},
            {"$set": {**asdict(definition), "updated_at": at}, "$setOnInsert": {"created_at": at}},
            upsert=True,
        )
        return await self.get_segment(tenant_id, segment_id), result.upserted_id is not None

    async def get_segment(self, tenant_id: str, segment_id: str) -> Segment:
        return await self._get_one(
            SEGMENTS,
            partial(segment_not_found, segment_id),
            tenant_id=tenant_id,
            segment_id=segment_id,
        )

    async def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        return await self._page(SEGMENTS, page, "segment_id", {"tenant_id": tenant_id})

    async def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        query = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        created = {"name": name or campaign_id, "created_at": at}
        with suppress(DuplicateKeyError):  # created meanwhile by a concurrent first member
            await self._db.campaigns.update_one(query, {"$setOnInsert": created}, upsert=True)
        try:
            await self._db.campaign_members.insert_one(
                {**query, "user_id": user_id, "added_at": at}
            )
        except DuplicateKeyError:
            return False
        return True

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        doc = await self._get_one(
            CAMPAIGNS,
            partial(campaign_not_found, campaign_id),
            tenant_id=tenant_id,
            campaign_id=campaign_id,
        )
        return (await self._counted(tenant_id, [doc]))[0]

    async def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        docs = await self._page(CAMPAIGNS, page, "campaign_id", {"tenant_id": tenant_id})
        return await self._counted(tenant_id, docs)

    async def _counted(self, tenant_id: str, docs: list[Doc]) -> list[Campaign]:
        if not docs:
            return []
        ids = [doc["campaign_id"] for doc in docs]
        cursor = await self._db.campaign_members.aggregate(
            [
                {"$match": {"tenant_id": tenant_id, "campaign_id": {"$in": ids}}},
                {"$group": {"_id": "$campaign_id", "n": {"$sum": 1}}},
            ]
        )
        counts = {row["_id"]: row["n"] async for row in cursor}
        return [Campaign(**doc, members=counts.get(doc["campaign_id"], 0)) for doc in docs]

    async def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        await self.get_campaign(tenant_id, campaign_id)
        query = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        return await self._page(MEMBERS, page, "user_id", query)
