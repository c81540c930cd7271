"""Message templates on MongoDB, by name."""

from dataclasses import asdict
from functools import partial

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.models.template import MessageTemplate
from app.models.workflow import Page
from app.store.errors import template_exists, template_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import TEMPLATES


class Templates(Connection):
    async def create_template(self, template: MessageTemplate) -> MessageTemplate:
        try:
            await self._db.message_templates.insert_one(asdict(template))
        except DuplicateKeyError:
            raise template_exists(template.name) from None
        return template

    async def update_template(self, template: MessageTemplate) -> MessageTemplate:
        changes = {part: getattr(template, part) for part in ("subject", "text", "html")}
        doc = await self._db.message_templates.find_one_and_update(
            {"tenant_id": template.tenant_id, "name": template.name},
            {"$set": changes | {"updated_at": template.updated_at}},
            TEMPLATES.projection,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise template_not_found(template.name)
        return TEMPLATES.read(doc)

    async def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        return await self._get_one(
            TEMPLATES, partial(template_not_found, name), tenant_id=tenant_id, name=name
        )

    async def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        return await self._page(TEMPLATES, page, "name", {"tenant_id": tenant_id})

    async def delete_template(self, tenant_id: str, name: str) -> None:
        missing = partial(template_not_found, name)
        await self._delete("message_templates", missing, tenant_id=tenant_id, name=name)
