"""The dev outbox on SQLite: messages kept once per tenant and idempotency key."""

from functools import partial

from app.models.outbox import OutboxFilter, OutboxMessage
from app.models.workflow import Page
from app.store.errors import outbox_message_not_found
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import OUTBOX, outbox_row


class Outbox(Connection):
    def add_outbox_message(self, message: OutboxMessage) -> OutboxMessage:
        with self._transaction() as db:
            db.execute(
                f"INSERT OR IGNORE INTO outbox ({OUTBOX.columns}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                outbox_row(message),
            )
        key = message.idempotency_key
        kept = self._find(OUTBOX, tenant_id=message.tenant_id, idempotency_key=key)
        assert kept is not None  # inserted now, or by the step's earlier attempt
        return kept

    def get_outbox_message(self, tenant_id: str, message_id: str) -> OutboxMessage:
        missing = partial(outbox_message_not_found, message_id)
        return self._get_one(OUTBOX, missing, tenant_id=tenant_id, message_id=message_id)

    def list_outbox(self, tenant_id: str, where: OutboxFilter, page: Page) -> list[OutboxMessage]:
        return self._page(
            OUTBOX,
            page,
            "message_id",
            ("tenant_id = ?", tenant_id),
            ("channel = ?", where.channel),
            ("recipient = ?", where.recipient),
            ("run_id = ?", where.run_id),
            newest_first=True,
        )
