"""Message templates, on every adapter."""

from dataclasses import replace
from datetime import timedelta

import pytest

from app.errors import Conflict, NotFound
from app.models.template import MessageTemplate
from app.models.workflow import Page
from app.store.protocol import Store
from tests.clock import now


def message(
    tenant_id: str, name: str, subject: str | None = "Hi {{ user_name }}"
) -> MessageTemplate:
    at = now()
    return MessageTemplate(tenant_id, name, subject, "Hello", "<p>Hello</p>", at, at)


async def test_message_templates_are_stored_per_tenant_by_name(store: Store) -> None:
    created = await store.create_template(message("acme", "welcome_email"))
    await store.create_template(message("acme", "cart_reminder"))
    await store.create_template(message("globex", "welcome_email", subject="Globex"))
    found = await store.get_template("acme", "welcome_email")
    assert (found.subject, found.text, found.html) == (
        "Hi {{ user_name }}",
        "Hello",
        "<p>Hello</p>",
    )
    assert (await store.get_template("globex", "welcome_email")).subject == "Globex"
    names = [t.name for t in await store.list_templates("acme", Page())]
    assert names == ["cart_reminder", "welcome_email"]
    after = await store.list_templates("acme", Page(limit=1, after="cart_reminder"))
    assert [t.name for t in after] == ["welcome_email"]
    with pytest.raises(Conflict):
        await store.create_template(message("acme", "welcome_email"))
    with pytest.raises(NotFound):
        await store.get_template("initech", "welcome_email")
    assert created.name == "welcome_email"


async def test_a_template_update_keeps_its_creation_time(store: Store) -> None:
    created = await store.create_template(message("acme", "welcome_email"))
    later = now() + timedelta(seconds=5)
    changed = MessageTemplate("acme", "welcome_email", None, "Bye", None, later, later)
    updated = await store.update_template(changed)
    assert (updated.subject, updated.text, updated.html) == (None, "Bye", None)
    assert abs(updated.created_at - created.created_at) < timedelta(milliseconds=1)
    assert updated.updated_at > updated.created_at
    assert (await store.get_template("acme", "welcome_email")).text == "Bye"
    with pytest.raises(NotFound):
        await store.update_template(replace(changed, tenant_id="globex"))


async def test_a_template_is_deleted_only_by_its_tenant(store: Store) -> None:
    await store.create_template(message("acme", "welcome_email"))
    with pytest.raises(NotFound):
        await store.delete_template("globex", "welcome_email")
    await store.delete_template("acme", "welcome_email")
    with pytest.raises(NotFound):
        await store.get_template("acme", "welcome_email")
    with pytest.raises(NotFound):
        await store.delete_template("acme", "welcome_email")
