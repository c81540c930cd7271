"""Tenants, their API keys, flow-control limits and audit trail, on SQLite."""

from datetime import datetime
from functools import partial

import orjson

from app.models.audit import AuditEntry, AuditFilter
from app.models.flow import TenantLimits
from app.models.tenant import ApiKey, Role, Tenant, TenantSettings
from app.models.workflow import Page
from app.sqlite_file import integrity_errors
from app.store.errors import key_exists, key_not_found, last_manager
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import AUDIT, KEYS, LIMITS, SETTINGS, TENANTS, stamp


def _manages(row: str) -> str:
    """``ApiKey.manages_keys`` at ``:now`` (a stamp: expiries are stamps too, so text order
    is time order) of the row of api_keys named ``row``."""
    return (
        f"{row}.revoked_at IS NULL AND {row}.role = '{Role.ADMIN.value}' "
        f"AND {row}.workflows IS NULL AND {row}.tags IS NULL "
        f"AND ({row}.expires_at IS NULL OR {row}.expires_at > :now)"
    )


# Revokes a live key unless it is the tenant's last that manages keys. One statement:
# SQLite writes one at a time, so the other key it finds managing is still live when it
# revokes this one, whatever another connection revokes meanwhile.
REVOKE = (
    "UPDATE api_keys SET revoked_at = :at WHERE tenant_id = :tenant_id AND key_id = :key_id "
    f"AND revoked_at IS NULL AND NOT ({_manages('api_keys')} AND NOT EXISTS ("
    "SELECT 1 FROM api_keys AS other WHERE other.tenant_id = api_keys.tenant_id "
    f"AND other.key_id != api_keys.key_id AND {_manages('other')}))"
)


class Accounts(Connection):
    def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO tenants VALUES (?, ?, ?)",
                (tenant_id, name, self._clock.now().isoformat()),
            )
            created = cursor.rowcount == 1
        tenant = self.get_tenant(tenant_id)
        assert tenant is not None
        return tenant, created

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._find(TENANTS, tenant_id=tenant_id)

    def get_limits(self, tenant_id: str) -> TenantLimits:
        limits = self._find(LIMITS, tenant_id=tenant_id)
        return TenantLimits() if limits is None else limits

    def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        self._db.execute(
            "INSERT INTO tenant_limits VALUES (?, ?, ?) ON CONFLICT (tenant_id) "
            "DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            (tenant_id, orjson.dumps(limits.canonical()), self._clock.now().isoformat()),
        )
        return limits

    def get_settings(self, tenant_id: str) -> TenantSettings:
        settings = self._find(SETTINGS, tenant_id=tenant_id)
        return TenantSettings() if settings is None else settings

    def set_settings(self, tenant_id: str, settings: TenantSettings) -> TenantSettings:
        self._db.execute(
            "INSERT INTO tenant_settings VALUES (?, ?, ?) ON CONFLICT (tenant_id) "
            "DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            (tenant_id, settings.model_dump_json(), self._clock.now().isoformat()),
        )
        return settings

    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO api_keys (key_id, tenant_id, role, name, prefix, key_hash, "
                    "created_at, workflows, tags, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.key_id,
                        key.tenant_id,
                        key.role.value,
                        key.name,
                        key.prefix,
                        key_hash,
                        key.created_at.isoformat(),
                        _json(key.workflows),
                        _json(key.tags),
                        None if key.expires_at is None else stamp(key.expires_at),
                    ),
                )
        except integrity_errors():
            raise key_exists() from None

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        return self._find(KEYS, key_hash=key_hash)

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        return self._select(KEYS, [("tenant_id = ?", tenant_id)], "created_at, key_id")

    def record_key_use(self, tenant_id: str, key_id: str, at: datetime) -> None:
        # Stamps are of one width, so the later of two is the greater text.
        used = stamp(at)
        self._db.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE tenant_id = ? AND key_id = ? "
            "AND (last_used_at IS NULL OR last_used_at < ?)",
            (used, tenant_id, key_id, used),
        )

    def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        with self._transaction() as db:
            now = self._clock.now()
            where = {"tenant_id": tenant_id, "key_id": key_id, "now": stamp(now)}
            revoked = db.execute(REVOKE, {"at": now.isoformat(), **where})
        key = self._get_one(
            KEYS, partial(key_not_found, key_id), tenant_id=tenant_id, key_id=key_id
        )
        if revoked.rowcount == 0 and key.revoked_at is None:
            raise last_manager(key_id)
        return key

    def add_audit(self, entry: AuditEntry) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.tenant_id,
                    entry.entry_id,
                    entry.at.isoformat(),
                    entry.actor,
                    entry.entity_type,
                    entry.entity_id,
                    orjson.dumps(entry),
                ),
            )

    def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        return self._page(
            AUDIT,
            page,
            "entry_id",
            ("tenant_id = ?", tenant_id),
            ("entity_type = ?", where.entity_type),
            ("entity_id = ?", where.entity_id),
            ("actor = ?", where.actor),
            ("at >= ?", where.since and where.since.isoformat()),
            newest_first=True,
        )

    def list_tenants(self, page: Page) -> list[Tenant]:
        return self._page(TENANTS, page, "tenant_id")


def _json(names: list[str] | None) -> str | None:
    return None if names is None else orjson.dumps(names).decode()
