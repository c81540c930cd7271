"""The embedded store: one SQLite file in WAL mode, through aiosqlite."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from app.models.document import WorkflowDocument
from app.models.tenant import ApiKey, Role, Tenant
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.store.base import (
    key_not_found,
    new_head,
    now,
    published,
    version_not_found,
    workflow_exists,
    workflow_not_found,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant_id);
CREATE TABLE IF NOT EXISTS workflows (
    tenant_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    name TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    active_version INTEGER,
    enabled INTEGER NOT NULL,
    archived INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id)
);
CREATE INDEX IF NOT EXISTS workflows_trigger ON workflows (tenant_id, trigger_type);
CREATE TABLE IF NOT EXISTS workflow_versions (
    tenant_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (tenant_id, workflow_id, version)
);
"""

HEAD_COLUMNS = (
    "tenant_id, workflow_id, name, trigger_type, latest_version, active_version, enabled, "
    "archived, created_at, updated_at"
)
KEY_COLUMNS = "key_id, tenant_id, role, name, prefix, created_at, revoked_at"


class SQLiteStore:
    """Writes go through one connection under one lock, so each transaction is whole."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> "SQLiteStore":
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        # WAL lets the CLI and other processes read and write while the service runs.
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA busy_timeout=5000")
        await db.executescript(SCHEMA)
        return cls(db)

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.execute("SELECT 1")

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _one(self, sql: str, *params: Any) -> aiosqlite.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, *params: Any) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO tenants VALUES (?, ?, ?)",
                (tenant_id, name, now().isoformat()),
            )
            created = cursor.rowcount == 1
        tenant = await self.get_tenant(tenant_id)
        assert tenant is not None
        return tenant, created

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = await self._one("SELECT * FROM tenants WHERE tenant_id = ?", tenant_id)
        return None if row is None else Tenant(row[0], row[1], datetime.fromisoformat(row[2]))

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (key.key_id, key.tenant_id, key.role.value, key.name, key.prefix, key_hash,
                 key.created_at.isoformat()),
            )  # fmt: skip

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self._one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", key_hash)
        return None if row is None else _api_key(row)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        rows = await self._all(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id",
            tenant_id,
        )
        return [_api_key(row) for row in rows]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                "WHERE tenant_id = ? AND key_id = ?",
                (now().isoformat(), tenant_id, key_id),
            )
        row = await self._one(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? AND key_id = ?",
            tenant_id,
            key_id,
        )
        if row is None:
            raise key_not_found(key_id)
        return _api_key(row)

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        async with self._transaction():
            head = await self._head(tenant_id, document.workflow_id)
            if head is not None and not head.archived:
                raise workflow_exists(document.workflow_id)
            if head is None:
                head = new_head(tenant_id, document, now())
                await self._db.execute(
                    f"INSERT INTO workflows ({HEAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    _head_row(head),
                )
            head = replace(head, archived=False)
            return await self._save_version(head, document, created_by, publish)

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        async with self._transaction():
            head = await self._head(tenant_id, document.workflow_id)
            if head is None:
                raise workflow_not_found(document.workflow_id)
            return await self._save_version(head, document, created_by, publish)

    async def _save_version(
        self, head: WorkflowHead, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        at = now()
        version = WorkflowVersion(
            head.tenant_id, head.workflow_id, head.latest_version + 1, document.canonical(), at,
            created_by,
        )  # fmt: skip
        await self._db.execute(
            "INSERT INTO workflow_versions VALUES (?, ?, ?, ?, ?, ?)",
            (version.tenant_id, version.workflow_id, version.version,
             orjson.dumps(version.document), at.isoformat(), created_by),
        )  # fmt: skip
        head = replace(head, latest_version=version.version, updated_at=at)
        if publish:
            head = published(head, version, at)
        await self._write_head(head)
        return head, version

    async def _head(self, tenant_id: str, workflow_id: str) -> WorkflowHead | None:
        row = await self._one(
            f"SELECT {HEAD_COLUMNS} FROM workflows WHERE tenant_id = ? AND workflow_id = ?",
            tenant_id,
            workflow_id,
        )
        return None if row is None else _head(row)

    async def _write_head(self, head: WorkflowHead) -> None:
        row = _head_row(head)
        await self._db.execute(
            "UPDATE workflows SET name = ?, trigger_type = ?, latest_version = ?, "
            "active_version = ?, enabled = ?, archived = ?, updated_at = ? "
            "WHERE tenant_id = ? AND workflow_id = ?",
            (*row[2:8], row[9], row[0], row[1]),
        )

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        head = await self._head(tenant_id, workflow_id)
        if head is None:
            raise workflow_not_found(workflow_id)
        return head

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        sql = f"SELECT {HEAD_COLUMNS} FROM workflows WHERE tenant_id = ? AND workflow_id > ?"
        params: list[Any] = [tenant_id, page.after or ""]
        if where.trigger_type is not None:
            sql += " AND trigger_type = ?"
            params.append(where.trigger_type)
        if where.enabled is not None:
            sql += " AND enabled = ?"
            params.append(int(where.enabled))
        if not where.include_archived:
            sql += " AND archived = 0"
        sql += " ORDER BY workflow_id LIMIT ?"
        params.append(page.limit)
        return [_head(row) for row in await self._all(sql, *params)]

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        await self.get_workflow(tenant_id, workflow_id)
        rows = await self._all(
            "SELECT * FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? "
            "ORDER BY version",
            tenant_id,
            workflow_id,
        )
        return [_version(row) for row in rows]

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        row = await self._one(
            "SELECT * FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? "
            "AND version = ?",
            tenant_id,
            workflow_id,
            version,
        )
        if row is None:
            raise version_not_found(workflow_id, version)
        return _version(row)

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        async with self._transaction():
            head = await self.get_workflow(tenant_id, workflow_id)
            head = published(head, await self.get_version(tenant_id, workflow_id, version), now())
            await self._write_head(head)
        return head

    async def set_enabled(self, tenant_id: str, workflow_id: str, enabled: bool) -> WorkflowHead:
        return await self._change_head(tenant_id, workflow_id, enabled=enabled)

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return await self._change_head(tenant_id, workflow_id, archived=True, enabled=False)

    async def _change_head(self, tenant_id: str, workflow_id: str, **changes: Any) -> WorkflowHead:
        async with self._transaction():
            head = await self.get_workflow(tenant_id, workflow_id)
            head = replace(head, **changes, updated_at=now())
            await self._write_head(head)
        return head


def _api_key(row: aiosqlite.Row) -> ApiKey:
    return ApiKey(
        key_id=row[0],
        tenant_id=row[1],
        role=Role(row[2]),
        name=row[3],
        prefix=row[4],
        created_at=datetime.fromisoformat(row[5]),
        revoked_at=None if row[6] is None else datetime.fromisoformat(row[6]),
    )


def _head(row: aiosqlite.Row) -> WorkflowHead:
    return WorkflowHead(
        tenant_id=row[0],
        workflow_id=row[1],
        name=row[2],
        trigger_type=row[3],
        latest_version=row[4],
        active_version=row[5],
        enabled=bool(row[6]),
        archived=bool(row[7]),
        created_at=datetime.fromisoformat(row[8]),
        updated_at=datetime.fromisoformat(row[9]),
    )


def _head_row(head: WorkflowHead) -> tuple[Any, ...]:
    return (
        head.tenant_id,
        head.workflow_id,
        head.name,
        head.trigger_type,
        head.latest_version,
        head.active_version,
        int(head.enabled),
        int(head.archived),
        head.created_at.isoformat(),
        head.updated_at.isoformat(),
    )


def _version(row: aiosqlite.Row) -> WorkflowVersion:
    return WorkflowVersion(
        tenant_id=row[0],
        workflow_id=row[1],
        version=row[2],
        document=orjson.loads(row[3]),
        created_at=datetime.fromisoformat(row[4]),
        created_by=row[5],
    )
