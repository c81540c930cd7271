"""The production store: MongoDB through PyMongo's native async client.

No transactions are used: version numbers come from an atomic ``$inc`` on the head, and a
save that publishes only moves the active version forward, so concurrent saves settle on the
newest. A crash between numbering and writing a version leaves a gap in the numbers, never a
version without its document.
"""

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.models.document import WorkflowDocument
from app.models.tenant import ApiKey, Role, Tenant
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.store.base import (
    key_not_found,
    new_head,
    now,
    published,
    version_not_found,
    workflow_exists,
    workflow_not_found,
)

Doc = dict[str, Any]
NO_ID = {"_id": False}
NO_HASH = {"_id": False, "key_hash": False}

INDEXES: dict[str, list[IndexModel]] = {
    "tenants": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "api_keys": [
        IndexModel([("key_hash", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("key_id", ASCENDING)], unique=True),
    ],
    "workflows": [
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("trigger_type", ASCENDING)]),
    ],
    "workflow_versions": [
        IndexModel(
            [("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("version", ASCENDING)],
            unique=True,
        )
    ],
}


class MongoStore:
    def __init__(self, client: AsyncMongoClient[Doc], database: str) -> None:
        self._client = client
        self._db: AsyncDatabase[Doc] = client[database]

    @classmethod
    async def open(cls, client: AsyncMongoClient[Doc], database: str) -> "MongoStore":
        store = cls(client, database)
        for name, indexes in INDEXES.items():
            await store._db[name].create_indexes(indexes)
        return store

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._db.command("ping")

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        tenant = Tenant(tenant_id, name, now())
        result = await self._db.tenants.update_one(
            {"tenant_id": tenant_id}, {"$setOnInsert": asdict(tenant)}, upsert=True
        )
        found = await self.get_tenant(tenant_id)
        assert found is not None
        return found, result.upserted_id is not None

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        doc = await self._db.tenants.find_one({"tenant_id": tenant_id}, NO_ID)
        return None if doc is None else Tenant(**doc)

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._db.api_keys.insert_one({**asdict(key), "key_hash": key_hash})

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        doc = await self._db.api_keys.find_one({"key_hash": key_hash}, NO_HASH)
        return None if doc is None else _api_key(doc)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        cursor = self._db.api_keys.find({"tenant_id": tenant_id}, NO_HASH)
        docs = await cursor.sort([("created_at", ASCENDING), ("key_id", ASCENDING)]).to_list(None)
        return [_api_key(doc) for doc in docs]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        query = {"tenant_id": tenant_id, "key_id": key_id}
        await self._db.api_keys.update_one(
            {**query, "revoked_at": None}, {"$set": {"revoked_at": now()}}
        )
        doc = await self._db.api_keys.find_one(query, NO_HASH)
        if doc is None:
            raise key_not_found(key_id)
        return _api_key(doc)

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        query = {"tenant_id": tenant_id, "workflow_id": document.workflow_id}
        existing = await self._db.workflows.find_one(query, NO_ID)
        if existing is not None and not existing["archived"]:
            raise workflow_exists(document.workflow_id)
        if existing is None:
            try:
                await self._db.workflows.insert_one(asdict(new_head(tenant_id, document, now())))
            except DuplicateKeyError:
                raise workflow_exists(document.workflow_id) from None
        return await self._save_version(query, document, created_by, publish, revive=True)

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        query = {"tenant_id": tenant_id, "workflow_id": document.workflow_id}
        return await self._save_version(query, document, created_by, publish, revive=False)

    async def _save_version(
        self, query: Doc, document: WorkflowDocument, created_by: str | None, publish: bool,
        revive: bool,
    ) -> tuple[WorkflowHead, WorkflowVersion]:  # fmt: skip
        at = now()
        changes: Doc = {"updated_at": at, **({"archived": False} if revive else {})}
        numbered = await self._db.workflows.find_one_and_update(
            query,
            {"$inc": {"latest_version": 1}, "$set": changes},
            projection=NO_ID,
            return_document=ReturnDocument.AFTER,
        )
        if numbered is None:
            raise workflow_not_found(document.workflow_id)
        head = WorkflowHead(**numbered)
        version = WorkflowVersion(
            head.tenant_id, head.workflow_id, head.latest_version, document.canonical(), at,
            created_by,
        )  # fmt: skip
        await self._db.workflow_versions.insert_one(asdict(version))
        if not publish:
            return head, version
        head = published(head, version, at)
        newer_not_active = {
            "$or": [{"active_version": None}, {"active_version": {"$lt": version.version}}]
        }
        await self._db.workflows.update_one(
            {**query, **newer_not_active}, {"$set": _published_fields(head)}
        )
        return await self.get_workflow(head.tenant_id, head.workflow_id), version

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        doc = await self._db.workflows.find_one(
            {"tenant_id": tenant_id, "workflow_id": workflow_id}, NO_ID
        )
        if doc is None:
            raise workflow_not_found(workflow_id)
        return WorkflowHead(**doc)

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        query: Doc = {"tenant_id": tenant_id, "workflow_id": {"$gt": page.after or ""}}
        if where.trigger_type is not None:
            query["trigger_type"] = where.trigger_type
        if where.enabled is not None:
            query["enabled"] = where.enabled
        if not where.include_archived:
            query["archived"] = False
        cursor = self._db.workflows.find(query, NO_ID).sort("workflow_id", ASCENDING)
        return [WorkflowHead(**doc) for doc in await cursor.limit(page.limit).to_list(None)]

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        await self.get_workflow(tenant_id, workflow_id)
        cursor = self._db.workflow_versions.find(
            {"tenant_id": tenant_id, "workflow_id": workflow_id}, NO_ID
        ).sort("version", ASCENDING)
        return [WorkflowVersion(**doc) for doc in await cursor.to_list(None)]

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        doc = await self._db.workflow_versions.find_one(
            {"tenant_id": tenant_id, "workflow_id": workflow_id, "version": version}, NO_ID
        )
        if doc is None:
            raise version_not_found(workflow_id, version)
        return WorkflowVersion(**doc)

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        head = await self.get_workflow(tenant_id, workflow_id)
        head = published(head, await self.get_version(tenant_id, workflow_id, version), now())
        return await self._set(tenant_id, workflow_id, _published_fields(head))

    async def set_enabled(self, tenant_id: str, workflow_id: str, enabled: bool) -> WorkflowHead:
        return await self._set(tenant_id, workflow_id, {"enabled": enabled, "updated_at": now()})

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        changes = {"archived": True, "enabled": False, "updated_at": now()}
        return await self._set(tenant_id, workflow_id, changes)

    async def _set(self, tenant_id: str, workflow_id: str, changes: Doc) -> WorkflowHead:
        doc = await self._db.workflows.find_one_and_update(
            {"tenant_id": tenant_id, "workflow_id": workflow_id},
            {"$set": changes},
            projection=NO_ID,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise workflow_not_found(workflow_id)
        return WorkflowHead(**doc)


def _published_fields(head: WorkflowHead) -> Doc:
    fields = ("name", "trigger_type", "active_version", "enabled", "archived", "updated_at")
    return {field: getattr(head, field) for field in fields}


def _api_key(doc: Doc) -> ApiKey:
    return ApiKey(**{**doc, "role": Role(doc["role"])})
