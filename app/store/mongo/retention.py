"""Retention on MongoDB: each tenant's own days, and the job's deletes in bounded batches."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from app.models.retention import Kept, Retention
from app.store.mongo.connection import Connection
from app.store.mongo.documents import Doc
from app.store.rules import FINISHED_VALUES

# Each kind's collection, the field its age is read from, and its records' key.
AGED = {
    Kept.EVENTS: ("events", "received_at", "event_id"),
    Kept.RUNS: ("runs", "updated_at", "run_id"),
    Kept.OUTBOX: ("outbox", "created_at", "message_id"),
    Kept.AUDIT: ("audit", "at", "entry_id"),
}


# What a purged record's kept counts need (parallel branches are not runs of their own).
KEPT_FIELDS = {
    "_id": False,
    "tenant_id": True,
    "event_id": True,
    "run_id": True,
    "message_id": True,
    "entry_id": True,
    "received_at": True,
    "created_at": True,
    "workflow_id": True,
    "status": True,
    "active_seconds": True,
    "parent": True,
}


class Retentions(Connection):
    async def get_retention(self, tenant_id: str) -> Retention | None:
        doc = await self._db.retention.find_one({"tenant_id": tenant_id}, {"_id": False})
        return None if doc is None else Retention(**doc["doc"])

    async def set_retention(self, tenant_id: str, retention: Retention) -> None:
        await self._db.retention.update_one(
            {"tenant_id": tenant_id}, {"$set": {"doc": asdict(retention)}}, upsert=True
        )

    async def retentions(self) -> dict[str, Retention]:
        cursor = self._db.retention.find({}, {"_id": False})
        return {doc["tenant_id"]: Retention(**doc["doc"]) async for doc in cursor}

    async def purge_batch(
        self,
        kind: Kept,
        before: datetime,
        limit: int,
        tenant_id: str | None,
        skip: Sequence[str] = (),
    ) -> int:
        name, field, key = AGED[kind]
        query: Doc = {field: {"$lt": before}}
        if tenant_id is not None:
            query["tenant_id"] = tenant_id
        elif skip:
            query["tenant_id"] = {"$nin": list(skip)}
        if kind == Kept.RUNS:
            query["status"] = {"$in": list(FINISHED_VALUES)}
        found = await self._db[name].find(query, KEPT_FIELDS).limit(limit).to_list(None)
        await self._keep_counts(kind, found)
        for doc in found:
            mine = {"tenant_id": doc["tenant_id"], key: doc[key]}
            await self._db[name].delete_one(mine)
            if kind == Kept.RUNS:
                await self._db.steps.delete_many(mine)
            elif kind == Kept.EVENTS:
                await self._db.event_keys.delete_many(mine)
        return len(found)

    async def _keep_counts(self, kind: Kept, found: list[Doc]) -> None:
        """Count the runs and events about to go, by UTC day, so /api/stats still counts
        them."""
        for doc in found:
            if kind == Kept.EVENTS:
                day = doc["received_at"].astimezone(UTC).date().isoformat()
                await self._db.kept_events.update_one(
                    {"tenant_id": doc["tenant_id"], "day": day}, {"$inc": {"count": 1}}, upsert=True
                )
            elif kind == Kept.RUNS and (doc.get("parent") or {}).get("branch") is None:
                day = doc["created_at"].astimezone(UTC).date().isoformat()
                await self._db.kept_runs.update_one(
                    {
                        "tenant_id": doc["tenant_id"],
                        "day": day,
                        "workflow_id": doc["workflow_id"],
                        "status": doc["status"],
                    },
                    {"$inc": {"count": 1, "seconds": doc.get("active_seconds", 0.0)}},
                    upsert=True,
                )
