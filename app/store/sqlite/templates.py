"""Message templates on SQLite, by name."""

from functools import partial

from app.models.template import MessageTemplate
from app.models.workflow import Page
from app.store.errors import template_exists, template_not_found
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import TEMPLATES, template_row


class Templates(Connection):
    def create_template(self, template: MessageTemplate) -> MessageTemplate:
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO message_templates ({TEMPLATES.columns}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                template_row(template),
            )
            if cursor.rowcount == 0:
                raise template_exists(template.name)
        return template

    def update_template(self, template: MessageTemplate) -> MessageTemplate:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE message_templates SET subject = ?, text = ?, html = ?, updated_at = ? "
                "WHERE tenant_id = ? AND name = ?",
                (
                    template.subject,
                    template.text,
                    template.html,
                    template.updated_at.isoformat(),
                    template.tenant_id,
                    template.name,
                ),
            )
            if cursor.rowcount == 0:
                raise template_not_found(template.name)
        return self.get_template(template.tenant_id, template.name)

    def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        return self._get_one(
            TEMPLATES, partial(template_not_found, name), tenant_id=tenant_id, name=name
        )

    def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        return self._page(TEMPLATES, page, "name", ("tenant_id = ?", tenant_id))

    def delete_template(self, tenant_id: str, name: str) -> None:
        missing = partial(template_not_found, name)
        self._delete("message_templates", missing, tenant_id=tenant_id, name=name)
