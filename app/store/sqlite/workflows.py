"""Workflows on SQLite: a head row per workflow, its versions, and the tenant's revision."""

from dataclasses import replace
from functools import partial
from typing import Any

import orjson

from app.models.document import WorkflowDocument
from app.models.trigger import SCHEDULE
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.store.errors import not_pending, version_not_found, workflow_exists, workflow_not_found
from app.store.rules import (
    approved,
    decided,
    new_head,
    pending,
    published,
    same_request,
    shape_rows,
)
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import HEAD_COLUMNS, HEADS, VERSIONS, head_row

ACTIVE_VERSIONS = (
    "SELECT v.* FROM workflows w JOIN workflow_versions v ON v.tenant_id = w.tenant_id "
    "AND v.workflow_id = w.workflow_id AND v.version = w.active_version "
    "WHERE w.enabled = 1 AND w.archived = 0"
)


class Workflows(Connection):
    def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        with self._transaction():
            head = self._find(HEADS, tenant_id=tenant_id, workflow_id=document.workflow_id)
            if head is not None and not head.archived:
                raise workflow_exists(document.workflow_id)
            if head is None:
                head = new_head(tenant_id, document, self._clock.now())
                self._db.execute(
                    f"INSERT INTO workflows ({HEADS.columns}) VALUES ({', '.join('?' * HEAD_COLUMNS)})",
                    head_row(head),
                )
            head = replace(head, archived=False)
            return self._save_version(head, document, created_by, publish=publish)

    def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, *, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        with self._transaction():
            head = self.get_workflow(tenant_id, document.workflow_id)
            return self._save_version(head, document, created_by, publish=publish)

    def _save_version(
        self,
        head: WorkflowHead,
        document: WorkflowDocument,
        created_by: str | None,
        *,
        publish: bool,
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        at = self._clock.now()
        version = WorkflowVersion(
            head.tenant_id,
            head.workflow_id,
            head.latest_version + 1,
            document.canonical(),
            at,
            created_by,
        )
        self._db.execute(
            "INSERT INTO workflow_versions VALUES (?, ?, ?, ?, ?, ?)",
            (
                version.tenant_id,
                version.workflow_id,
                version.version,
                orjson.dumps(version.document),
                at.isoformat(),
                created_by,
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO event_shapes VALUES (?, ?, ?)",
            shape_rows(head.tenant_id, document),
        )
        head = replace(
            head, latest_version=version.version, updated_at=at, tags=list(document.tags)
        )
        if publish:
            head = published(head, version, at)
        self._write_head(head)
        return head, version

    def _write_head(self, head: WorkflowHead) -> None:
        row = head_row(head)
        self._db.execute(
            "INSERT INTO revisions VALUES (?, 1) ON CONFLICT (tenant_id) DO UPDATE SET n = n + 1",
            (head.tenant_id,),
        )
        self._db.execute(
            "UPDATE workflows SET name = ?, trigger_type = ?, latest_version = ?, "
            "active_version = ?, enabled = ?, archived = ?, updated_at = ?, scheduled = ?, "
            "tags = ?, pending_version = ?, pending_by = ?, pending_at = ? "
            "WHERE tenant_id = ? AND workflow_id = ?",
            (*row[2:8], *row[9:], row[0], row[1]),
        )

    def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return self._get_one(
            HEADS,
            partial(workflow_not_found, workflow_id),
            tenant_id=tenant_id,
            workflow_id=workflow_id,
        )

    def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        enabled = None if where.enabled is None else int(where.enabled)
        return self._page(
            HEADS,
            page,
            "workflow_id",
            ("tenant_id = ?", tenant_id),
            ("trigger_type = ?", where.trigger_type),
            ("enabled = ?", enabled),
            ("archived = ?", None if where.include_archived else 0),
            ("EXISTS (SELECT 1 FROM json_each(workflows.tags) WHERE value = ?)", where.tag),
        )

    def count_workflows(self, tenant_id: str) -> int:
        return self._count("workflows", [("tenant_id = ?", tenant_id), ("archived = ?", 0)])

    def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        self.get_workflow(tenant_id, workflow_id)
        filters = [("tenant_id = ?", tenant_id), ("workflow_id = ?", workflow_id)]
        return self._select(VERSIONS, filters, "version")

    def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        return self._get_one(
            VERSIONS,
            partial(version_not_found, workflow_id, version),
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            version=version,
        )

    def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            head = published(
                head, self.get_version(tenant_id, workflow_id, version), self._clock.now()
            )
            self._write_head(head)
        return head

    def request_publish(
        self, tenant_id: str, workflow_id: str, version: int, requested_by: str | None
    ) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            self.get_version(tenant_id, workflow_id, version)
            head = pending(head, version, requested_by, self._clock.now())
            self._write_head(head)
        return head

    def decide_publish(
        self, tenant_id: str, workflow_id: str, pending: WorkflowHead, *, approve: bool
    ) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            number = pending.pending_version
            if number is None or not same_request(head, pending):
                raise not_pending(workflow_id, number or 0)
            at = self._clock.now()
            head = decided(head, at)
            if approve:
                head = approved(head, self.get_version(tenant_id, workflow_id, number), at)
            self._write_head(head)
        return head

    def set_enabled(self, tenant_id: str, workflow_id: str, *, enabled: bool) -> WorkflowHead:
        return self._change_head(tenant_id, workflow_id, enabled=enabled)

    def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return self._change_head(tenant_id, workflow_id, archived=True, enabled=False)

    def _change_head(self, tenant_id: str, workflow_id: str, **changes: Any) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            head = replace(head, **changes, updated_at=self._clock.now())
            self._write_head(head)
        return head

    def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        rows = self._all(f"{ACTIVE_VERSIONS} AND w.tenant_id = ?", tenant_id)
        return [VERSIONS.read(row) for row in rows]

    def scheduled_versions(self) -> list[WorkflowVersion]:
        rows = self._all(f"{ACTIVE_VERSIONS} AND (w.trigger_type = ? OR w.scheduled = 1)", SCHEDULE)
        return [VERSIONS.read(row) for row in rows]

    def workflows_revision(self, tenant_id: str) -> str:
        row = self._one("SELECT n FROM revisions WHERE tenant_id = ?", tenant_id)
        return str(row[0] if row else 0)
