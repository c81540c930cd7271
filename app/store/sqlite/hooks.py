"""Inbound webhooks on SQLite: a row per hook, its id unique across tenants."""

from functools import partial

import orjson

from app.models.hook import Hook
from app.models.workflow import Page
from app.store.errors import hook_not_found
from app.store.rules import hook_doc, hook_record
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import Table

HOOKS = Table("hooks", "doc", lambda row: hook_record(orjson.loads(row[0])))


class Hooks(Connection):
    def add_hook(self, hook: Hook) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO hooks VALUES (?, ?, ?)",
                (hook.hook_id, hook.tenant_id, orjson.dumps(hook_doc(hook))),
            )

    def get_hook(self, tenant_id: str, hook_id: str) -> Hook:
        missing = partial(hook_not_found, hook_id)
        return self._get_one(HOOKS, missing, tenant_id=tenant_id, hook_id=hook_id)

    def hook_by_id(self, hook_id: str) -> Hook | None:
        return self._find(HOOKS, hook_id=hook_id)

    def list_hooks(self, tenant_id: str, page: Page) -> list[Hook]:
        return self._page(HOOKS, page, "hook_id", ("tenant_id = ?", tenant_id))

    def delete_hook(self, tenant_id: str, hook_id: str) -> None:
        self._delete(
            "hooks", partial(hook_not_found, hook_id), tenant_id=tenant_id, hook_id=hook_id
        )
