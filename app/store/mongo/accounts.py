"""Tenants, their API keys, flow-control limits and audit trail, on MongoDB."""

from dataclasses import asdict
from datetime import datetime
from functools import partial

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from app.models.audit import AuditEntry, AuditFilter
from app.models.flow import TenantLimits
from app.models.tenant import ApiKey, Tenant, TenantSettings
from app.models.workflow import Page
from app.store.errors import key_exists, key_not_found, last_manager
from app.store.mongo.connection import Connection
from app.store.mongo.documents import AUDIT, KEYS, LIMITS, SETTINGS, TENANTS, Doc

# A tenant's key guard before its first revocation of a key that manages keys.
NO_GUARD: Doc = {"revision": 0, "revoked": []}


class Accounts(Connection):
    async def get_limits(self, tenant_id: str) -> TenantLimits:
        limits = await self._find(LIMITS, tenant_id=tenant_id)
        return TenantLimits() if limits is None else limits

    async def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        await self._db.tenant_limits.update_one(
            {"tenant_id": tenant_id},
            {"$set": {"doc": limits.canonical(), "updated_at": self._clock.now()}},
            upsert=True,
        )
        return limits

    async def get_settings(self, tenant_id: str) -> TenantSettings:
        settings = await self._find(SETTINGS, tenant_id=tenant_id)
        return TenantSettings() if settings is None else settings

    async def set_settings(self, tenant_id: str, settings: TenantSettings) -> TenantSettings:
        await self._db.tenant_settings.update_one(
            {"tenant_id": tenant_id},
            {"$set": {"doc": settings.model_dump(), "updated_at": self._clock.now()}},
            upsert=True,
        )
        return settings

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        tenant = Tenant(tenant_id, name, self._clock.now())
        result = await self._db.tenants.update_one(
            {"tenant_id": tenant_id}, {"$setOnInsert": asdict(tenant)}, upsert=True
        )
        found = await self.get_tenant(tenant_id)
        assert found is not None
        return found, result.upserted_id is not None

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        return await self._find(TENANTS, tenant_id=tenant_id)

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        try:
            await self._db.api_keys.insert_one({**asdict(key), "key_hash": key_hash})
        except DuplicateKeyError:
            raise key_exists() from None

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        return await self._find(KEYS, key_hash=key_hash)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        order = [("created_at", ASCENDING), ("key_id", ASCENDING)]
        return await self._select(KEYS, {"tenant_id": tenant_id}, order)

    async def record_key_use(self, tenant_id: str, key_id: str, at: datetime) -> None:
        earlier = [{"last_used_at": None}, {"last_used_at": {"$lt": at}}]
        await self._db.api_keys.update_one(
            {"tenant_id": tenant_id, "key_id": key_id, "$or": earlier},
            {"$set": {"last_used_at": at}},
        )

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        """Without transactions, a key that manages keys is revoked once the tenant's key
        guard let it go: a revision there moves on with each such revocation (a write made
        only if no other moved it since this one read it) and lists the key at once, so one
        reading the keys before the key's own write lands counts it as gone already."""
        while True:
            guard = await self._db.key_guards.find_one({"tenant_id": tenant_id}) or NO_GUARD
            keys = await self.list_api_keys(tenant_id)
            key = next((key for key in keys if key.key_id == key_id), None)
            if key is None:
                raise key_not_found(key_id)
            now = self._clock.now()
            if not key.manages_keys(now):
                break
            gone = {key_id, *guard["revoked"]}
            if not any(other.manages_keys(now) and other.key_id not in gone for other in keys):
                raise last_manager(key_id)
            if await self._let_go(tenant_id, guard, keys, key_id):
                break
        await self._db.api_keys.update_one(
            {"tenant_id": tenant_id, "key_id": key_id, "revoked_at": None},
            {"$set": {"revoked_at": self._clock.now()}},
        )
        return await self._get_one(
            KEYS, partial(key_not_found, key_id), tenant_id=tenant_id, key_id=key_id
        )

    async def _let_go(self, tenant_id: str, guard: Doc, keys: list[ApiKey], key_id: str) -> bool:
        """Whether the key guard, still at the revision of ``guard``, now lists ``key_id`` as
        revoked (False: another revocation moved it on since it was read).

        It goes on listing only the keys still live in ``keys`` (read after ``guard``): those
        whose own write had not landed. A key read revoked stays revoked, so every later
        reader counts it gone without the guard, and the list holds at most the tenant's
        live keys rather than every key it ever revoked."""
        live = {key.key_id for key in keys if key.revoked_at is None}
        pending = [other for other in guard["revoked"] if other in live and other != key_id]
        revision = guard["revision"]
        try:
            written = await self._db.key_guards.update_one(
                {"tenant_id": tenant_id, "revision": revision},
                {"$set": {"revision": revision + 1, "revoked": [*pending, key_id]}},
                upsert=revision == 0,
            )
        except DuplicateKeyError:  # another made the tenant's guard first
            return False
        return written.matched_count == 1 or written.upserted_id is not None

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._db.audit.insert_one(asdict(entry))

    async def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        query: Doc = {"tenant_id": tenant_id}
        for name in ("entity_type", "entity_id", "actor"):
            if getattr(where, name) is not None:
                query[name] = getattr(where, name)
        if where.since is not None:
            query["at"] = {"$gte": where.since}
        return await self._page(AUDIT, page, "entry_id", query, newest_first=True)

    async def list_tenants(self, page: Page) -> list[Tenant]:
        return await self._page(TENANTS, page, "tenant_id", {})
