"""Inbound webhooks on MongoDB: a document per hook, its id unique across tenants."""

from functools import partial

from app.models.hook import Hook
from app.models.workflow import Page
from app.store.errors import hook_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import Collection
from app.store.rules import hook_doc, hook_record

HOOKS = Collection("hooks", hook_record)


class Hooks(Connection):
    async def add_hook(self, hook: Hook) -> None:
        await self._db.hooks.insert_one(hook_doc(hook))

    async def get_hook(self, tenant_id: str, hook_id: str) -> Hook:
        missing = partial(hook_not_found, hook_id)
        return await self._get_one(HOOKS, missing, tenant_id=tenant_id, hook_id=hook_id)

    async def hook_by_id(self, hook_id: str) -> Hook | None:
        return await self._find(HOOKS, hook_id=hook_id)

    async def list_hooks(self, tenant_id: str, page: Page) -> list[Hook]:
        return await self._page(HOOKS, page, "hook_id", {"tenant_id": tenant_id})

    async def delete_hook(self, tenant_id: str, hook_id: str) -> None:
        missing = partial(hook_not_found, hook_id)
        await self._delete("hooks", missing, tenant_id=tenant_id, hook_id=hook_id)
