"""Secrets and connector configurations, on every adapter."""

import asyncio

import pytest

from app.errors import NotFound
from app.store.protocol import Store


async def test_secrets_are_created_replaced_rotated_and_deleted(store: Store) -> None:
    first, created = await store.put_secret("acme", "API_KEY", "token-1")
    assert (created, first.ciphertext, first.rotated_at) == (True, "token-1", None)
    await asyncio.sleep(0.01)  # MongoDB keeps milliseconds
    replaced, created = await store.put_secret("acme", "API_KEY", "token-2")
    assert (created, replaced.ciphertext) == (False, "token-2")
    assert replaced.created_at == first.created_at
    assert replaced.updated_at > first.updated_at
    rotated = await store.rotate_secret("acme", "API_KEY", "token-3")
    assert rotated.ciphertext == "token-3"
    assert rotated.rotated_at is not None
    await store.put_secret("acme", "OTHER", "token-4")
    assert [s.name for s in await store.list_secrets("acme")] == ["API_KEY", "OTHER"]
    assert [s.name for s in await store.get_secrets("acme", ["OTHER", "MISSING"])] == ["OTHER"]
    await store.delete_secret("acme", "OTHER")
    assert await store.get_secrets("acme", ["OTHER"]) == []
    with pytest.raises(NotFound):
        await store.delete_secret("acme", "OTHER")
    with pytest.raises(NotFound):
        await store.rotate_secret("acme", "MISSING", "token")


async def test_secrets_belong_to_their_tenant(store: Store) -> None:
    await store.put_secret("acme", "API_KEY", "acme-token")
    await store.put_secret("globex", "API_KEY", "globex-token")
    assert [s.ciphertext for s in await store.get_secrets("globex", ["API_KEY"])] == [
        "globex-token"
    ]
    assert await store.list_secrets("initech") == []
    with pytest.raises(NotFound):
        await store.rotate_secret("initech", "API_KEY", "token")
    with pytest.raises(NotFound):
        await store.delete_secret("initech", "API_KEY")
    assert [(s.tenant_id, s.name) for s in await store.all_secrets()] == [
        ("acme", "API_KEY"),
        ("globex", "API_KEY"),
    ]


async def test_re_encryption_never_undoes_a_newer_value(store: Store) -> None:
    await store.put_secret("acme", "API_KEY", "old-token")
    assert await store.replace_ciphertext("acme", "API_KEY", "old-token", "same-value-new-key")
    await store.rotate_secret("acme", "API_KEY", "rotated-token")
    assert not await store.replace_ciphertext(
        "acme", "API_KEY", "same-value-new-key", "stale-value-new-key"
    )
    assert [s.ciphertext for s in await store.get_secrets("acme", ["API_KEY"])] == ["rotated-token"]


async def test_integration_configs_per_tenant(store: Store) -> None:
    config = {"url": "https://erp.example", "api_key": {"$secret": "ERP_KEY"}, "n": [1, 2.5]}
    stored, created = await store.put_integration("acme", "legacy_erp", config)
    assert (created, stored.config) == (True, config)
    replaced, created = await store.put_integration("acme", "legacy_erp", {"url": "https://b"})
    assert (created, replaced.created_at) == (False, stored.created_at)
    await store.put_integration("acme", "crm", {})
    assert [i.code for i in await store.list_integrations("acme")] == ["crm", "legacy_erp"]
    found = await store.get_integration("acme", "legacy_erp")
    assert found is not None
    assert found.config == {"url": "https://b"}
    assert await store.get_integration("globex", "legacy_erp") is None
    with pytest.raises(NotFound):
        await store.delete_integration("globex", "legacy_erp")
    await store.delete_integration("acme", "legacy_erp")
    assert await store.get_integration("acme", "legacy_erp") is None
