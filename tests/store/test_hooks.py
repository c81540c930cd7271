"""Inbound webhooks: kept per tenant, found by id alone for deliveries; on every adapter."""

import pytest

from app.errors import NotFound
from app.models.hook import Hook, HookScheme
from app.models.workflow import Page
from app.store.protocol import Store
from tests.clock import now


def hook(hook_id: str, tenant_id: str = "acme") -> Hook:
    mapping = {"user": {"id": "{{ body.customer }}"}}
    return Hook(
        tenant_id,
        hook_id,
        "Payments",
        "paid",
        HookScheme.STRIPE,
        "STRIPE_SECRET",
        300,
        now(),
        "key_1",
        mapping,
    )


async def test_hooks_are_kept_per_tenant_and_found_by_id_for_deliveries(store: Store) -> None:
    for one in (hook("hook_b"), hook("hook_a"), hook("hook_g", "globex")):
        await store.add_hook(one)
    kept = hook("hook_c")
    await store.add_hook(kept)
    assert await store.get_hook("acme", "hook_c") == kept
    await store.delete_hook("acme", "hook_c")
    assert [h.hook_id for h in await store.list_hooks("acme", Page())] == ["hook_a", "hook_b"]
    assert [h.hook_id for h in await store.list_hooks("acme", Page(1, "hook_a"))] == ["hook_b"]
    found = await store.hook_by_id("hook_g")
    assert found is not None
    assert (found.tenant_id, found.scheme, found.secret) == (
        "globex",
        HookScheme.STRIPE,
        "STRIPE_SECRET",
    )
    with pytest.raises(NotFound):
        await store.get_hook("acme", "hook_g")
    with pytest.raises(NotFound):
        await store.delete_hook("acme", "hook_g")
    await store.delete_hook("globex", "hook_g")
    assert await store.hook_by_id("hook_g") is None
