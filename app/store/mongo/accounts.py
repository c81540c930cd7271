"""Tenants, their API keys, flow-control limits and audit trail, on MongoDB."""

from dataclasses import asdict
from functools import partial

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from app.models.audit import AuditEntry, AuditFilter
from app.models.flow import TenantLimits
from app.models.tenant import ApiKey, Tenant, TenantSettings
from app.models.workflow import Page
from app.store.errors import key_exists, key_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import AUDIT, KEYS, LIMITS, SETTINGS, TENANTS, Doc


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

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        await self._db.api_keys.update_one(
            {"tenant_id": tenant_id, "key_id": key_id, "revoked_at": None},
            {"$set": {"revoked_at": self._clock.now()}},
        )
        return await self._get_one(
            KEYS, partial(key_not_found, key_id), tenant_id=tenant_id, key_id=key_id
        )

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
