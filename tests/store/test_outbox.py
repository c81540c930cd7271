"""The dev outbox, on every adapter."""

import asyncio
from typing import Any

import pytest

from app.errors import NotFound
from app.models.ids import new_id
from app.models.outbox import OutboxFilter, OutboxMessage
from app.models.workflow import Page
from app.store.protocol import Store
from tests.clock import now


def kept(tenant_id: str, key: str, channel: str = "email", **changes: Any) -> OutboxMessage:
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "message_id": new_id("msg"),
        "channel": channel,
        "recipient": "ada@example.com",
        "subject": "Welcome",
        "text": "Hi Ada",
        "html": "<p>Hi Ada</p>",
        "idempotency_key": key,
        "run_id": "run_1",
        "step_id": "s1",
        "workflow_id": "wf",
        "created_at": now(),
    }
    return OutboxMessage(**(fields | changes))


async def test_outbox_keeps_a_message_once_per_idempotency_key(store: Store) -> None:
    first = await store.add_outbox_message(kept("acme", "run_1:s1:0"))
    again = await store.add_outbox_message(kept("acme", "run_1:s1:0", subject="Changed"))
    assert again == first
    assert await store.get_outbox_message("acme", first.message_id) == first
    other = await store.add_outbox_message(kept("globex", "run_1:s1:0"))
    assert other.message_id != first.message_id
    assert [m.message_id for m in await store.list_outbox("acme", OutboxFilter(), Page())] == [
        first.message_id
    ]


async def test_outbox_messages_are_not_found_for_another_tenant(store: Store) -> None:
    first = await store.add_outbox_message(kept("acme", "k1"))
    with pytest.raises(NotFound, match="Outbox message"):
        await store.get_outbox_message("globex", first.message_id)
    with pytest.raises(NotFound):
        await store.get_outbox_message("acme", "msg_missing")


async def test_outbox_lists_newest_first_filtered_and_paged(store: Store) -> None:
    email = await store.add_outbox_message(kept("acme", "k1"))
    await asyncio.sleep(0.002)
    sms = await store.add_outbox_message(kept("acme", "k2", "sms", recipient="+15550001"))
    await asyncio.sleep(0.002)
    later = await store.add_outbox_message(kept("acme", "k3", run_id="run_2"))
    every = await store.list_outbox("acme", OutboxFilter(), Page())
    assert [m.message_id for m in every] == [later.message_id, sms.message_id, email.message_id]
    by_channel = await store.list_outbox("acme", OutboxFilter(channel="sms"), Page())
    assert [m.message_id for m in by_channel] == [sms.message_id]
    by_recipient = await store.list_outbox("acme", OutboxFilter(recipient="+15550001"), Page())
    assert [m.message_id for m in by_recipient] == [sms.message_id]
    by_run = await store.list_outbox("acme", OutboxFilter(run_id="run_1"), Page())
    assert [m.message_id for m in by_run] == [sms.message_id, email.message_id]
    second = await store.list_outbox("acme", OutboxFilter(), Page(limit=1, after=sms.message_id))
    assert [m.message_id for m in second] == [email.message_id]
