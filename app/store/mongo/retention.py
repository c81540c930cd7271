"""Retention on MongoDB: each tenant's own days, and the job's deletes in bounded batches."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from app.models.retention import Kept, Retention
from app.store.mongo.connection import Connection
from app.store.mongo.documents import Doc
from app.store.rules import FINISHED_VALUES

# Each kind's collection, the field its age is read from, and its records' key.
AGED = {Kept.EVENTS: ("events", "received_at", "event_id"),
        Kept.RUNS: ("runs", "updated_at", "run_id"),
        Kept.OUTBOX: ("outbox", "created_at", "message_id"),
        Kept.AUDIT: ("audit", "at", "entry_id")}  # fmt: skip


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
        self, kind: Kept, before: datetime, limit: int, tenant_id: str | None,
        skip: Sequence[str] = (),
    ) -> int:  # fmt: skip
        name, field, key = AGED[kind]
        query: Doc = {field: {"$lt": before}}
        if tenant_id is not None:
            query["tenant_id"] = tenant_id
        elif skip:
            query["tenant_id"] = {"$nin": list(skip)}
        if kind == Kept.RUNS:
            query["status"] = {"$in": list(FINISHED_VALUES)}
        found = (
            await self._db[name]
            .find(query, {"_id": False, "tenant_id": True, key: True})
            .limit(limit)
            .to_list(None)
        )
        for doc in found:
            mine = {"tenant_id": doc["tenant_id"], key: doc[key]}
            await self._db[name].delete_one(mine)
            if kind == Kept.RUNS:
                await self._db.steps.delete_many(mine)
            elif kind == Kept.EVENTS:
                await self._db.event_keys.delete_many(mine)
        return len(found)
