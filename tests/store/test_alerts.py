"""Failure alerts: each tenant's rules, and notices claimed once; on every adapter."""

from datetime import timedelta

from app.models.alert import AlertRule, AlertRules
from app.store.protocol import Store
from tests.clock import now


def rules(*ids: str) -> AlertRules:
    return AlertRules(
        rules=[AlertRule(rule_id=rule_id, webhook_url="https://example.com/a") for rule_id in ids]
    )


async def test_a_tenants_alert_rules_are_replaced_listed_and_deleted(store: Store) -> None:
    assert await store.get_alert_rules("acme") is None
    await store.set_alert_rules("acme", rules("a"))
    await store.set_alert_rules("acme", rules("a", "b"))
    await store.set_alert_rules("globex", rules("g"))
    assert await store.get_alert_rules("acme") == rules("a", "b")
    assert await store.alert_rules() == {"acme": rules("a", "b"), "globex": rules("g")}
    assert await store.delete_alert_rules("acme") is True
    assert await store.delete_alert_rules("acme") is False
    assert await store.get_alert_rules("acme") is None
    assert await store.alert_rules() == {"globex": rules("g")}


async def test_a_notice_is_claimed_once_per_tenant_and_key(store: Store) -> None:
    assert await store.claim_notice("acme", "run1:failed:1", now()) is True
    assert await store.claim_notice("acme", "run1:failed:1", now()) is False
    assert await store.claim_notice("globex", "run1:failed:1", now()) is True
    assert await store.claim_notice("acme", "run1:failed:2", now()) is True


async def test_old_notices_are_purged_and_can_be_claimed_again(store: Store) -> None:
    await store.claim_notice("acme", "old", now() - timedelta(days=8))
    await store.claim_notice("globex", "old", now() - timedelta(days=8))
    await store.claim_notice("acme", "new", now())
    assert await store.purge_notices(now() - timedelta(days=7)) == 2
    assert await store.claim_notice("acme", "old", now()) is True
    assert await store.claim_notice("acme", "new", now()) is False
