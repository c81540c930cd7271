"""Workflows on MongoDB: a head document per workflow, its versions, and the tenant's
revision.

No transactions are used: version numbers come from an atomic ``$inc`` on the head, and a
save that publishes only moves the active version forward, so concurrent saves settle on the
newest. A crash between numbering and writing a version leaves a gap in the numbers, never a
version without its document.
"""

from dataclasses import asdict
from functools import partial

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.models.document import WorkflowDocument
from app.models.trigger import SCHEDULE
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.store.errors import not_pending, version_not_found, workflow_exists, workflow_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import HEADS, VERSIONS, Doc, published_fields
from app.store.rules import approved, decided, new_head, published, same_request, shape_rows

# Reads of the head a decision makes when it keeps changing under it.
DECIDE_ATTEMPTS = 3


class Workflows(Connection):
    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        existing = await self._find(HEADS, tenant_id=tenant_id, workflow_id=document.workflow_id)
        if existing is not None and not existing.archived:
            raise workflow_exists(document.workflow_id)
        if existing is None:
            try:
                await self._db.workflows.insert_one(
                    asdict(new_head(tenant_id, document, self._clock.now()))
                )
            except DuplicateKeyError:
                raise workflow_exists(document.workflow_id) from None
        return await self._save_version(
            tenant_id, document, created_by, publish=publish, revive=True
        )

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        return await self._save_version(
            tenant_id, document, created_by, publish=publish, revive=False
        )

    async def _save_version(
        self,
        tenant_id: str,
        document: WorkflowDocument,
        created_by: str | None,
        *,
        publish: bool,
        revive: bool,
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        at = self._clock.now()
        query = {"tenant_id": tenant_id, "workflow_id": document.workflow_id}
        changes: Doc = {
            "updated_at": at,
            "tags": list(document.tags),
            **({"archived": False} if revive else {}),
        }
        numbered = await self._db.workflows.find_one_and_update(
            query,
            {"$inc": {"latest_version": 1}, "$set": changes},
            projection=HEADS.projection,
            return_document=ReturnDocument.AFTER,
        )
        if numbered is None:
            raise workflow_not_found(document.workflow_id)
        head = HEADS.read(numbered)
        version = WorkflowVersion(
            head.tenant_id,
            head.workflow_id,
            head.latest_version,
            document.canonical(),
            at,
            created_by,
        )
        await self._db.workflow_versions.insert_one(asdict(version))
        await self._add_shapes(head.tenant_id, document)
        if not publish:
            await self._changed(head.tenant_id)
            return head, version
        head = published(head, version, at)
        newer_not_active = {
            "$or": [{"active_version": None}, {"active_version": {"$lt": version.version}}]
        }
        await self._db.workflows.update_one(
            {**query, **newer_not_active}, {"$set": published_fields(head)}
        )
        await self._changed(head.tenant_id)
        return await self.get_workflow(head.tenant_id, head.workflow_id), version

    async def _add_shapes(self, tenant_id: str, document: WorkflowDocument) -> None:
        """Before the version can be published: an event accepted once a run of it exists
        is keyed for its shapes."""
        for tenant, event_type, paths in shape_rows(tenant_id, document):
            shape = {"tenant_id": tenant, "event_type": event_type, "paths": paths}
            await self._db.event_shapes.update_one(shape, {"$setOnInsert": shape}, upsert=True)

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return await self._get_one(
            HEADS,
            partial(workflow_not_found, workflow_id),
            tenant_id=tenant_id,
            workflow_id=workflow_id,
        )

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        query: Doc = {"tenant_id": tenant_id}
        if where.trigger_type is not None:
            query["trigger_type"] = where.trigger_type
        if where.enabled is not None:
            query["enabled"] = where.enabled
        if not where.include_archived:
            query["archived"] = False
        if where.tag is not None:
            query["tags"] = where.tag
        return await self._page(HEADS, page, "workflow_id", query)

    async def count_workflows(self, tenant_id: str) -> int:
        query = {"tenant_id": tenant_id, "archived": False}
        return int(await self._db.workflows.count_documents(query))

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        await self.get_workflow(tenant_id, workflow_id)
        query = {"tenant_id": tenant_id, "workflow_id": workflow_id}
        return await self._select(VERSIONS, query, [("version", ASCENDING)])

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        return await self._get_one(
            VERSIONS,
            partial(version_not_found, workflow_id, version),
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            version=version,
        )

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        head = await self.get_workflow(tenant_id, workflow_id)
        head = published(
            head, await self.get_version(tenant_id, workflow_id, version), self._clock.now()
        )
        return await self._set(tenant_id, workflow_id, published_fields(head))

    async def request_publish(
        self, tenant_id: str, workflow_id: str, version: int, requested_by: str | None
    ) -> WorkflowHead:
        await self.get_version(tenant_id, workflow_id, version)
        at = self._clock.now()
        changes = {"pending_version": version, "pending_by": requested_by, "pending_at": at}
        return await self._set(tenant_id, workflow_id, {**changes, "updated_at": at})

    async def decide_publish(
        self, tenant_id: str, workflow_id: str, pending: WorkflowHead, *, approve: bool
    ) -> WorkflowHead:
        number = pending.pending_version
        for _ in range(DECIDE_ATTEMPTS):
            head = await self.get_workflow(tenant_id, workflow_id)
            if number is None or not same_request(head, pending):
                raise not_pending(workflow_id, number or 0)
            at = self._clock.now()
            after = decided(head, at)
            changes = {"pending_version": None, "pending_by": None, "pending_at": None}
            if approve:
                after = approved(after, await self.get_version(tenant_id, workflow_id, number), at)
                changes |= published_fields(after)
            # The head as read: its request, and the state an approval keeps (a disable or
            # an archive made meanwhile has the decision read it again).
            seen = {"pending_version": number, "pending_by": pending.pending_by}
            seen |= {"enabled": head.enabled, "archived": head.archived}
            decision = await self._db.workflows.update_one(
                {"tenant_id": tenant_id, "workflow_id": workflow_id, **seen},
                {"$set": {**changes, "updated_at": at}},
            )
            if decision.matched_count:
                await self._changed(tenant_id)
                return await self.get_workflow(tenant_id, workflow_id)
        raise not_pending(workflow_id, number or 0)

    async def set_enabled(self, tenant_id: str, workflow_id: str, *, enabled: bool) -> WorkflowHead:
        return await self._set(
            tenant_id, workflow_id, {"enabled": enabled, "updated_at": self._clock.now()}
        )

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        changes = {"archived": True, "enabled": False, "updated_at": self._clock.now()}
        return await self._set(tenant_id, workflow_id, changes)

    async def _set(self, tenant_id: str, workflow_id: str, changes: Doc) -> WorkflowHead:
        doc = await self._db.workflows.find_one_and_update(
            {"tenant_id": tenant_id, "workflow_id": workflow_id},
            {"$set": changes},
            projection=HEADS.projection,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise workflow_not_found(workflow_id)
        await self._changed(tenant_id)
        return HEADS.read(doc)

    async def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        return await self._active({"tenant_id": tenant_id})

    async def scheduled_versions(self) -> list[WorkflowVersion]:
        return await self._active({"$or": [{"trigger_type": SCHEDULE}, {"scheduled": True}]})

    async def _active(self, where: Doc) -> list[WorkflowVersion]:
        heads = self._db.workflows.find(
            {**where, "enabled": True, "archived": False, "active_version": {"$ne": None}},
            {"_id": False, "tenant_id": True, "workflow_id": True, "active_version": True},
        )
        wanted = [
            {
                "tenant_id": d["tenant_id"],
                "workflow_id": d["workflow_id"],
                "version": d["active_version"],
            }
            async for d in heads
        ]
        if not wanted:
            return []
        return await self._select(VERSIONS, {"$or": wanted})

    async def workflows_revision(self, tenant_id: str) -> str:
        doc = await self._db.revisions.find_one({"tenant_id": tenant_id})
        return str(doc["n"] if doc else 0)

    async def _changed(self, tenant_id: str) -> None:
        await self._db.revisions.update_one(
            {"tenant_id": tenant_id}, {"$inc": {"n": 1}}, upsert=True
        )
