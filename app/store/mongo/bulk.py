"""Bulk run commands on MongoDB: a document per job, its progress guarded by its cursor."""

from datetime import datetime

from app.models.bulk import BulkJob, BulkState
from app.store.errors import bulk_job_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import NO_ID
from app.store.rules import bulk_doc, bulk_job


class BulkJobs(Connection):
    async def add_bulk_job(self, job: BulkJob) -> None:
        await self._db.bulk_jobs.insert_one(bulk_doc(job))

    async def get_bulk_job(self, tenant_id: str, job_id: str) -> BulkJob:
        doc = await self._db.bulk_jobs.find_one({"tenant_id": tenant_id, "job_id": job_id}, NO_ID)
        if doc is None:
            raise bulk_job_not_found(job_id)
        return bulk_job(doc)

    async def save_bulk_job(self, job: BulkJob, cursor: str) -> bool:
        saved = await self._db.bulk_jobs.update_one(
            {"tenant_id": job.tenant_id, "job_id": job.job_id, "cursor": cursor},
            {"$set": bulk_doc(job)},
        )
        return saved.matched_count == 1

    async def stalled_bulk_jobs(self, before: datetime, limit: int) -> list[BulkJob]:
        # Times are kept as ISO text (bulk_doc), which sorts as the times do.
        where = {"status": BulkState.RUNNING.value, "updated_at": {"$lt": before.isoformat()}}
        return [bulk_job(doc) async for doc in self._db.bulk_jobs.find(where, NO_ID).limit(limit)]
