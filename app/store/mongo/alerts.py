"""Failure alerts on MongoDB: each tenant's rules as one document, and a document per notice
sent, its key unique within the tenant (the unique index decides which claim wins)."""

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from app.models.alert import AlertRules
from app.store.mongo.connection import Connection
from app.store.mongo.documents import NO_ID


class Alerts(Connection):
    async def get_alert_rules(self, tenant_id: str) -> AlertRules | None:
        doc = await self._db.alert_rules.find_one({"tenant_id": tenant_id}, NO_ID)
        return None if doc is None else AlertRules.model_validate(doc["rules"])

    async def set_alert_rules(self, tenant_id: str, rules: AlertRules) -> None:
        await self._db.alert_rules.replace_one(
            {"tenant_id": tenant_id},
            {"tenant_id": tenant_id, "rules": rules.model_dump(mode="json")},
            upsert=True,
        )

    async def delete_alert_rules(self, tenant_id: str) -> bool:
        deleted = await self._db.alert_rules.delete_one({"tenant_id": tenant_id})
        return deleted.deleted_count == 1

    async def alert_rules(self) -> dict[str, AlertRules]:
        return {
            doc["tenant_id"]: AlertRules.model_validate(doc["rules"])
            async for doc in self._db.alert_rules.find({}, NO_ID)
        }

    async def claim_notice(self, tenant_id: str, key: str, at: datetime) -> bool:
        try:
            await self._db.notices.insert_one({"tenant_id": tenant_id, "key": key, "at": at})
        except DuplicateKeyError:
            return False
        return True

    async def purge_notices(self, before: datetime) -> int:
        return (await self._db.notices.delete_many({"at": {"$lt": before}})).deleted_count
