"""The dev outbox on MongoDB: messages kept once per tenant and idempotency key (a unique
index; the upsert inserts only when the key is new)."""

from dataclasses import asdict
from functools import partial

from pymongo import ReturnDocument

from app.models.outbox import OutboxFilter, OutboxMessage
from app.models.workflow import Page
from app.store.errors import outbox_message_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import OUTBOX, Doc


class Outbox(Connection):
    async def add_outbox_message(self, message: OutboxMessage) -> OutboxMessage:
        key = {"tenant_id": message.tenant_id, "idempotency_key": message.idempotency_key}
        doc = await self._db.outbox.find_one_and_update(
            key,
            {"$setOnInsert": asdict(message)},
            OUTBOX.projection,
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # upserted
        return OUTBOX.read(doc)

    async def get_outbox_message(self, tenant_id: str, message_id: str) -> OutboxMessage:
        missing = partial(outbox_message_not_found, message_id)
        return await self._get_one(OUTBOX, missing, tenant_id=tenant_id, message_id=message_id)

    async def list_outbox(
        self, tenant_id: str, where: OutboxFilter, page: Page
    ) -> list[OutboxMessage]:
        query: Doc = {"tenant_id": tenant_id}
        for name in ("channel", "recipient", "run_id"):
            if getattr(where, name) is not None:
                query[name] = getattr(where, name)
        return await self._page(OUTBOX, page, "message_id", query, newest_first=True)
