"""Bulk run commands on SQLite: a row per job, its progress guarded by its cursor."""

from datetime import datetime

import orjson

from app.models.bulk import BulkJob, BulkState
from app.store.errors import bulk_job_not_found
from app.store.rules import bulk_doc, bulk_job
from app.store.sqlite.connection import Connection


class BulkJobs(Connection):
    def add_bulk_job(self, job: BulkJob) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO bulk_jobs VALUES (?, ?, ?, ?)",
                (job.tenant_id, job.job_id, job.cursor, orjson.dumps(bulk_doc(job))),
            )

    def get_bulk_job(self, tenant_id: str, job_id: str) -> BulkJob:
        row = self._one(
            "SELECT doc FROM bulk_jobs WHERE tenant_id = ? AND job_id = ?", tenant_id, job_id
        )
        if row is None:
            raise bulk_job_not_found(job_id)
        return bulk_job(orjson.loads(row[0]))

    def save_bulk_job(self, job: BulkJob, cursor: str) -> bool:
        with self._transaction() as db:
            saved = db.execute(
                "UPDATE bulk_jobs SET cursor = ?, doc = ? "
                "WHERE tenant_id = ? AND job_id = ? AND cursor = ?",
                (job.cursor, orjson.dumps(bulk_doc(job)), job.tenant_id, job.job_id, cursor),
            )
        return saved.rowcount == 1

    def stalled_bulk_jobs(self, before: datetime, limit: int) -> list[BulkJob]:
        rows = self._all(
            "SELECT doc FROM bulk_jobs WHERE json_extract(CAST(doc AS TEXT), '$.status') = ? "
            "AND json_extract(CAST(doc AS TEXT), '$.updated_at') < ? LIMIT ?",
            BulkState.RUNNING.value,
            before.isoformat(),
            limit,
        )
        return [bulk_job(orjson.loads(row[0])) for row in rows]
