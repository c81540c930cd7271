"""Tenants, API keys, limits and the audit trail, on every adapter."""

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.clock import SystemClock
from app.errors import Conflict, NotFound
from app.models.audit import AuditEntry, AuditFilter
from app.models.flow import TenantLimits
from app.models.tenant import ApiKey, Role, TenantSettings
from app.models.workflow import Page
from app.store.mongo import MongoStore
from app.store.protocol import Store
from app.store.sqlite import SQLiteStore
from tests.clock import now
from tests.store.conftest import StandInClient

# Rounds of a race between two stores: either may win each, so a few are run.
ROUNDS = 5


def key(tenant_id: str, key_id: str, role: Role = Role.ADMIN) -> ApiKey:
    return ApiKey(key_id, tenant_id, role, "label", "atm_abcd", now())


async def test_tenants_are_created_once(store: Store) -> None:
    tenant, created = await store.ensure_tenant("acme", "Acme")
    again, created_again = await store.ensure_tenant("acme", "Other name")
    assert (created, created_again) == (True, False)
    assert again.name == "Acme"
    assert again.tenant_id == tenant.tenant_id
    assert await store.get_tenant("nobody") is None


async def test_tenants_are_listed_by_id_a_page_at_a_time(store: Store) -> None:
    for tenant_id in ("globex", "acme", "initech"):
        await store.ensure_tenant(tenant_id, tenant_id.title())
    first = await store.list_tenants(Page(limit=2))
    rest = await store.list_tenants(Page(limit=2, after=first[-1].tenant_id))
    assert [t.tenant_id for t in first + rest] == ["acme", "globex", "initech"]
    assert first[0].name == "Acme"


async def test_a_second_key_of_one_hash_is_a_conflict(store: Store) -> None:
    """Two processes bootstrapping one configured key at once: the second is told."""
    await store.add_api_key(key("default", "k1"), "hash-1")
    with pytest.raises(Conflict):
        await store.add_api_key(key("default", "k2"), "hash-1")
    assert [k.key_id for k in await store.list_api_keys("default")] == ["k1"]


async def test_a_second_key_of_one_id_in_a_tenant_is_a_conflict(store: Store) -> None:
    """Two requests storing a tenant's first admin key (whose id is the tenant's) at once:
    the second is told, and the first key stays."""
    await store.add_api_key(key("acme", "first"), "hash-1")
    with pytest.raises(Conflict):
        await store.add_api_key(key("acme", "first"), "hash-2")
    assert [k.key_id for k in await store.list_api_keys("acme")] == ["first"]
    assert await store.api_key_by_hash("hash-2") is None


async def test_api_keys_are_found_by_hash_and_revoked(store: Store) -> None:
    await store.add_api_key(key("acme", "k1", Role.EDITOR), "hash-1")
    await store.add_api_key(key("globex", "k2", Role.VIEWER), "hash-2")
    found = await store.api_key_by_hash("hash-2")
    assert found is not None
    assert (found.tenant_id, found.role) == ("globex", Role.VIEWER)
    assert [k.key_id for k in await store.list_api_keys("acme")] == ["k1"]
    revoked = await store.revoke_api_key("acme", "k1")
    assert revoked.revoked_at is not None
    with pytest.raises(NotFound):
        await store.revoke_api_key("acme", "k2")  # globex's key, from acme


async def test_the_tenants_last_key_that_manages_keys_is_kept(store: Store) -> None:
    """An admin limited to some workflows, a viewer and a revoked admin manage no keys:
    the one admin over the whole tenant is kept until another is stored."""
    await store.add_api_key(key("acme", "only"), "hash-1")
    await store.add_api_key(replace(key("acme", "limited"), workflows=["w"]), "hash-2")
    await store.add_api_key(key("acme", "viewer", Role.VIEWER), "hash-3")
    await store.add_api_key(key("globex", "theirs"), "hash-4")
    await store.add_api_key(key("acme", "gone"), "hash-5")
    await store.revoke_api_key("acme", "gone")
    with pytest.raises(Conflict, match="'only' is the tenant's last admin key"):
        await store.revoke_api_key("acme", "only")
    assert (await store.revoke_api_key("acme", "viewer")).revoked_at is not None
    await store.add_api_key(key("acme", "second"), "hash-6")
    first = await store.revoke_api_key("acme", "only")
    assert first.revoked_at is not None
    assert await store.revoke_api_key("acme", "only") == first  # revoked already: as it was
    with pytest.raises(Conflict):
        await store.revoke_api_key("acme", "second")
    live = {k.key_id for k in await store.list_api_keys("acme") if k.revoked_at is None}
    assert live == {"limited", "second"}


async def test_an_expired_admin_key_does_not_keep_the_last_one_revocable(store: Store) -> None:
    """The tenant's last admin key is the last that works: one expired does not count,
    one expiring later does (and an expired one may go whatever the others)."""
    soon = now().replace(microsecond=0) + timedelta(days=1)  # MongoDB keeps milliseconds
    await store.add_api_key(key("acme", "only"), "hash-1")
    await store.add_api_key(replace(key("acme", "old"), expires_at=now()), "hash-2")
    found = await store.api_key_by_hash("hash-1")
    assert found is not None
    assert found.expires_at is None
    with pytest.raises(Conflict, match="'only' is the tenant's last admin key"):
        await store.revoke_api_key("acme", "only")
    await store.add_api_key(replace(key("acme", "later"), expires_at=soon), "hash-3")
    assert {k.key_id: k.expires_at for k in await store.list_api_keys("acme")}["later"] == soon
    assert (await store.revoke_api_key("acme", "only")).revoked_at is not None
    assert (await store.revoke_api_key("acme", "old")).revoked_at is not None
    with pytest.raises(Conflict):
        await store.revoke_api_key("acme", "later")


async def test_admins_revoking_each_other_at_once_leave_one(store: Store) -> None:
    admins = [f"k{n}" for n in range(5)]
    for n, key_id in enumerate(admins):
        await store.add_api_key(key("acme", key_id), f"hash-{n}")
    answers = await asyncio.gather(
        *(store.revoke_api_key("acme", key_id) for key_id in admins), return_exceptions=True
    )
    assert [type(answer) for answer in answers].count(Conflict) == 1
    live = [k.key_id for k in await store.list_api_keys("acme") if k.manages_keys(now())]
    assert len(live) == 1


async def test_two_sqlite_stores_revoking_at_once_leave_one_admin(tmp_path: Path) -> None:
    """Two processes on one file, each revoking one of the tenant's two admin keys at
    the same moment (each store writes from its own thread): one is refused."""
    first = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    second = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    try:
        for round in range(ROUNDS):
            tenant = f"tenant-{round}"
            await first.add_api_key(key(tenant, f"a{round}"), f"hash-a{round}")
            await first.add_api_key(key(tenant, f"b{round}"), f"hash-b{round}")
            answers = await asyncio.gather(
                first.revoke_api_key(tenant, f"a{round}"),
                second.revoke_api_key(tenant, f"b{round}"),
                return_exceptions=True,
            )
            assert [type(answer) for answer in answers].count(Conflict) == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("guarded_before", [False, True])
async def test_a_mongo_revocation_overtaken_by_another_reads_the_keys_again(
    guarded_before: bool,
) -> None:
    """The stand-in answers one call at a time: here another revocation lands between
    this one's read of the keys and its write of the tenant's key guard, as another
    process's may; that write fails, and the keys read again show the other one gone.
    ``guarded_before``: the guard was written by an earlier revocation, else this one and
    the other both try to create it."""
    store = await MongoStore.open(
        StandInClient(tz_aware=True), f"automator_test_{uuid.uuid4().hex[:8]}", SystemClock()
    )
    for n, key_id in enumerate(["mine", "theirs", "earlier"][: 2 + guarded_before]):
        await store.add_api_key(key("acme", key_id), f"hash-{n}")
    if guarded_before:
        await store.revoke_api_key("acme", "earlier")
    read_keys = store.list_api_keys
    overtaken = False

    async def keys_then_theirs_revoked(tenant_id: str) -> list[ApiKey]:
        nonlocal overtaken
        keys = await read_keys(tenant_id)
        if not overtaken:
            overtaken = True
            await store.revoke_api_key(tenant_id, "theirs")
        return keys

    store.list_api_keys = keys_then_theirs_revoked  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        await store.revoke_api_key("acme", "mine")
    assert [k.key_id for k in await read_keys("acme") if k.manages_keys(now())] == ["mine"]


async def test_a_mongo_key_guard_lists_only_the_keys_whose_write_is_pending() -> None:
    """The tenant's key guard lists a key from the moment it lets it go until the key's own
    write lands; each later revocation drops the keys it reads as revoked, so the guard of
    a tenant that revoked many admin keys holds the last only, not all of them. (On the
    in-memory stand-in, as every MongoDB contract test here unless AUTOMATOR_TEST_MONGODB_URL
    names a server.)"""
    store = await MongoStore.open(
        StandInClient(tz_aware=True), f"automator_test_{uuid.uuid4().hex[:8]}", SystemClock()
    )
    admins = [f"k{n}" for n in range(5)]
    for n, key_id in enumerate(admins):
        await store.add_api_key(key("acme", key_id), f"hash-{n}")
    for key_id in admins[:-1]:
        await store.revoke_api_key("acme", key_id)
    guard = await store._db.key_guards.find_one({"tenant_id": "acme"})
    assert guard is not None
    assert (guard["revision"], guard["revoked"]) == (4, ["k3"])
    with pytest.raises(Conflict):
        await store.revoke_api_key("acme", "k4")


async def test_a_mongo_key_guard_keeps_a_key_whose_write_never_landed() -> None:
    """A revocation that stopped between the guard's write and the key's (a crash) leaves
    the key live and listed: later revocations keep it listed, so it still counts as gone."""
    store = await MongoStore.open(
        StandInClient(tz_aware=True), f"automator_test_{uuid.uuid4().hex[:8]}", SystemClock()
    )
    for n, key_id in enumerate(["crashed", "k1", "k2"]):
        await store.add_api_key(key("acme", key_id), f"hash-{n}")
    await store._db.key_guards.insert_one(
        {"tenant_id": "acme", "revision": 1, "revoked": ["crashed"]}
    )
    await store.revoke_api_key("acme", "k1")
    guard = await store._db.key_guards.find_one({"tenant_id": "acme"})
    assert guard is not None
    assert guard["revoked"] == ["crashed", "k1"]
    with pytest.raises(Conflict):  # "crashed" reads live, but its revocation began
        await store.revoke_api_key("acme", "k2")


async def test_a_keys_last_use_only_moves_forward(store: Store) -> None:
    """Two API processes record a key's use each on its own: the later time stays."""
    await store.add_api_key(key("acme", "k1"), "hash-1")
    await store.add_api_key(key("globex", "k2"), "hash-2")
    assert (await store.list_api_keys("acme"))[0].last_used_at is None
    used = now().replace(microsecond=0) + timedelta(minutes=5)  # MongoDB keeps milliseconds
    await store.record_key_use("acme", "k1", used)
    await store.record_key_use("acme", "k1", used - timedelta(seconds=30))
    await store.record_key_use("acme", "k2", used)  # globex's key, from acme: nothing
    (found,) = await store.list_api_keys("acme")
    assert found.last_used_at == used
    assert (await store.list_api_keys("globex"))[0].last_used_at is None
    await store.record_key_use("acme", "k1", used + timedelta(seconds=61))
    assert (await store.list_api_keys("acme"))[0].last_used_at == used + timedelta(seconds=61)


async def test_tenant_limits_are_replaced_whole_and_kept_per_tenant(store: Store) -> None:
    assert await store.get_limits("acme") == TenantLimits()
    first = TenantLimits.model_validate({"quota": {"runs": 10, "period": "P1D"}})
    await store.set_limits("acme", first)
    second = TenantLimits.model_validate({"concurrency": {"limit": 1, "key": "{{ site }}"}})
    assert await store.set_limits("acme", second) == second
    found = await store.get_limits("acme")
    assert found.canonical() == {"concurrency": {"limit": 1, "key": "{{ site }}"}}
    assert await store.get_limits("globex") == TenantLimits()


def entry(entry_id: str, entity_id: str = "wf", actor: str = "key_1", **changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "tenant_id": "acme",
        "entry_id": entry_id,
        "at": now(),
        "actor": actor,
        "action": "workflow.update",
        "entity_type": "workflow",
        "entity_id": entity_id,
        "before": {"enabled": True},
        "after": {"enabled": False, "document": {"a": [1]}},
    }
    return AuditEntry(**(fields | changes))


async def test_audit_entries_filter_and_page_newest_first(store: Store) -> None:
    await store.add_audit(entry("aud_1"))
    await store.add_audit(entry("aud_2", "other", action="workflow.create", before=None))
    await store.add_audit(
        entry("aud_3", "key_9", "key_2", entity_type="api_key", action="api_key.revoke")
    )
    await store.add_audit(entry("aud_4", tenant_id="globex"))
    everything = await store.list_audit("acme", AuditFilter(), Page())
    assert [e.entry_id for e in everything] == ["aud_3", "aud_2", "aud_1"]
    oldest = everything[2]
    assert (oldest.actor, oldest.action, oldest.before) == (
        "key_1",
        "workflow.update",
        {"enabled": True},
    )
    assert oldest.after == {"enabled": False, "document": {"a": [1]}}
    assert everything[2].at.tzinfo is not None
    by_entity = AuditFilter(entity_type="workflow", entity_id="wf")
    assert [e.entry_id for e in await store.list_audit("acme", by_entity, Page())] == ["aud_1"]
    by_actor = await store.list_audit("acme", AuditFilter(actor="key_2"), Page())
    assert [(e.entry_id, e.action) for e in by_actor] == [("aud_3", "api_key.revoke")]
    paged = await store.list_audit("acme", AuditFilter(), Page(limit=1, after="aud_3"))
    assert [e.entry_id for e in paged] == ["aud_2"]
    later = AuditFilter(since=now() + timedelta(seconds=1))
    assert await store.list_audit("acme", later, Page()) == []


async def test_a_key_keeps_the_workflows_and_tags_it_is_limited_to(store: Store) -> None:
    limited = replace(key("acme", "k1"), workflows=["welcome", "cart"], tags=["growth"])
    await store.add_api_key(limited, "hash-1")
    await store.add_api_key(key("acme", "k2"), "hash-2")
    found = await store.api_key_by_hash("hash-1")
    assert found is not None
    assert (found.workflows, found.tags) == (["welcome", "cart"], ["growth"])
    listed = {k.key_id: (k.workflows, k.tags) for k in await store.list_api_keys("acme")}
    assert listed["k2"] == (None, None)


async def test_tenant_settings_default_and_are_kept_per_tenant(store: Store) -> None:
    assert (await store.get_settings("acme")).four_eyes_publishing is False
    await store.set_settings("acme", TenantSettings(four_eyes_publishing=True))
    assert (await store.get_settings("acme")).four_eyes_publishing is True
    assert (await store.get_settings("globex")).four_eyes_publishing is False
    await store.set_settings("acme", TenantSettings())
    assert (await store.get_settings("acme")).four_eyes_publishing is False
