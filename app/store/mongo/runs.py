"""Runs and their step records on MongoDB."""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from functools import partial

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from app.models.run import ArmedRun, Run, RunFilter, RunStatus, StepRecord
from app.models.stats import Period, RunTally, VariantTally
from app.models.workflow import Page
from app.store.errors import cursor_run_gone, run_not_found
from app.store.mongo.connection import Connection
from app.store.mongo.documents import RUNS, STEPS, Doc, within
from app.store.rules import (
    LIVE,
    MUTABLE_RUN_FIELDS,
    TIMED,
    UNFINISHED,
    armed_run,
    kept_days,
    kept_tally,
    run_doc,
    with_kept,
)

# Parallel branches are parts of their parent's run: the run counts leave them out.
NOT_BRANCH: Doc = {"$or": [{"parent": None}, {"parent.branch": None}]}
# A run failed now, or whose history moved it to failed: retried since, it failed all the same.
FAILED_ONCE: Doc = {
    "$or": [
        {"$eq": ["$status", RunStatus.FAILED.value]},
        {"$in": [RunStatus.FAILED.value, {"$ifNull": ["$history.to", []]}]},
    ]
}


class Runs(Connection):
    async def add_runs(self, runs: Sequence[Run]) -> None:
        for run in runs:
            with suppress(DuplicateKeyError):
                await self._db.runs.insert_one(run_doc(run))

    async def get_run(self, tenant_id: str, run_id: str) -> Run:
        return await self._get_one(
            RUNS, partial(run_not_found, run_id), tenant_id=tenant_id, run_id=run_id
        )

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        if steps:
            seq = self._clock.now().timestamp()
            docs = [asdict(step) | {"seq": seq + n * 1e-6} for n, step in enumerate(steps)]
            await self._db.steps.insert_many(docs)
        changes = {
            name: value for name, value in run_doc(run).items() if name in MUTABLE_RUN_FIELDS
        }
        result = await self._db.runs.update_one(
            {"tenant_id": run.tenant_id, "run_id": run.run_id, "revision": run.revision},
            {"$set": changes, "$inc": {"revision": 1}},
        )
        if result.matched_count == 0:
            return False
        run.revision += 1
        return True

    async def list_runs(
        self, tenant_id: str, where: RunFilter, page: Page, *, by_id: bool = False
    ) -> list[Run]:
        query = _query(tenant_id, where)
        if by_id or not where.by_time:
            return await self._page(RUNS, page, "run_id", query, newest_first=True)
        if page.after is not None:
            created = await self._created_at(tenant_id, page.after)
            # The bound beside the $or too: a plan walking the index alone then starts at the
            # cursor, not at the range's newest run, past every page before.
            query["created_at"] = {**query["created_at"], "$lte": created}
            query["$or"] = [
                {"created_at": {"$lt": created}},
                {"created_at": created, "run_id": {"$lt": page.after}},
            ]
        # The order of the index on (tenant_id, created_at, run_id), walked backwards: the
        # limit ends the walk at the page's last run, with no sort in memory.
        order = [("created_at", DESCENDING), ("run_id", DESCENDING)]
        return await self._select(RUNS, query, order, page.limit)

    async def _created_at(self, tenant_id: str, run_id: str) -> datetime:
        """When the run ``run_id`` was created: where it stands in a listing by time."""
        found = await self._db.runs.find_one(
            {"tenant_id": tenant_id, "run_id": run_id}, {"_id": False, "created_at": True}
        )
        if found is None:
            raise cursor_run_gone(run_id)
        created: datetime = found["created_at"]
        return created

    async def count_runs(self, tenant_id: str, where: RunFilter) -> int:
        return await self._db.runs.count_documents(_query(tenant_id, where))

    async def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]:
        query = {"tenant_id": tenant_id, "run_id": run_id}
        return await self._select(STEPS, query, [("seq", ASCENDING)])

    async def workflow_steps(
        self, tenant_id: str, workflow_id: str, limit: int
    ) -> list[StepRecord]:
        query = {"tenant_id": tenant_id, "workflow_id": workflow_id}
        return await self._select(STEPS, query, [("seq", DESCENDING)], limit)

    async def run_counts(self, tenant_id: str) -> dict[str, dict[RunStatus, int]]:
        cursor = await self._db.runs.aggregate(
            [
                {"$match": {"tenant_id": tenant_id, **NOT_BRANCH}},
                {"$group": {"_id": {"w": "$workflow_id", "s": "$status"}, "n": {"$sum": 1}}},
            ]
        )
        counts: dict[str, dict[RunStatus, int]] = {}
        async for row in cursor:
            counts.setdefault(row["_id"]["w"], {})[RunStatus(row["_id"]["s"])] = row["n"]
        return counts

    async def run_tallies(
        self, tenant_id: str, period: Period, workflow_id: str | None
    ) -> list[RunTally]:
        match: Doc = {"tenant_id": tenant_id, "created_at": within(period), **NOT_BRANCH}
        if workflow_id is not None:
            match["workflow_id"] = workflow_id
        group = {
            "_id": {"w": "$workflow_id", "s": "$status"},
            "n": {"$sum": 1},
            "seconds": {"$sum": "$active_seconds"},
            "failed_once": {"$sum": {"$cond": [FAILED_ONCE, 1, 0]}},
        }
        cursor = await self._db.runs.aggregate([{"$match": match}, {"$group": group}])
        live = [
            RunTally(
                row["_id"]["w"],
                RunStatus(row["_id"]["s"]),
                row["n"],
                row["seconds"],
                row["failed_once"],
            )
            async for row in cursor
        ]
        first, end = kept_days(period)
        kept: Doc = {"tenant_id": tenant_id, "day": {"$gte": first, "$lt": end}}
        if workflow_id is not None:
            kept["workflow_id"] = workflow_id
        counted = [
            kept_tally(doc["workflow_id"], RunStatus(doc["status"]), doc["count"], doc["seconds"])
            async for doc in self._db.kept_runs.find(kept)
        ]
        return with_kept(live, with_kept([], counted))

    async def variant_tallies(self, tenant_id: str, workflow_id: str) -> list[VariantTally]:
        query = {"tenant_id": tenant_id, "workflow_id": workflow_id, **NOT_BRANCH}
        counts: dict[tuple[str, str], list[int]] = {}
        cursor = self._db.runs.find(query, {"_id": False, "variants": True, "converted": True})
        async for doc in cursor:
            for split_id, variant in (doc.get("variants") or {}).items():
                tally = counts.setdefault((split_id, variant), [0, 0])
                tally[0] += 1
                tally[1] += doc.get("converted") is not None
        return [VariantTally(s, v, runs, won) for (s, v), (runs, won) in counts.items()]

    async def live_run_counts(self) -> dict[RunStatus, int]:
        cursor = await self._db.runs.aggregate(
            [
                {"$match": {"status": {"$in": [s.value for s in UNFINISHED]}}},
                {"$group": {"_id": "$status", "n": {"$sum": 1}}},
            ]
        )
        return {RunStatus(row["_id"]): row["n"] async for row in cursor}

    async def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        cursor = self._db.runs.find(
            {"status": {"$in": [s.value for s in LIVE]}, "due_at": {"$lte": before}},
            {"_id": False, "tenant_id": True, "run_id": True},
        )
        return [
            (doc["tenant_id"], doc["run_id"]) async for doc in cursor.sort("due_at").limit(limit)
        ]

    async def failed_runs(
        self, since: datetime, until: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[Run]:
        query: Doc = {"status": RunStatus.FAILED.value, "updated_at": {"$gte": since, "$lt": until}}
        conditions = [NOT_BRANCH]
        if after is not None:
            last, run_id = after
            later = [{"updated_at": {"$gt": last}}, {"updated_at": last, "run_id": {"$gt": run_id}}]
            conditions.append({"$or": later})
        order = [("updated_at", ASCENDING), ("run_id", ASCENDING)]
        return await self._select(RUNS, {**query, "$and": conditions}, order, limit)

    async def armed_runs(self, after: tuple[datetime, str] | None, limit: int) -> list[ArmedRun]:
        query: Doc = {"status": {"$in": [s.value for s in TIMED]}, "due_at": {"$ne": None}}
        if after is not None:
            since, run_id = after
            query["$or"] = [
                {"due_at": {"$gt": since}},
                {"due_at": since, "run_id": {"$gt": run_id}},
            ]
        cursor = self._db.runs.find(query, RUNS.projection)
        ordered = cursor.sort([("due_at", ASCENDING), ("run_id", ASCENDING)]).limit(limit)
        return [
            armed_run(doc["tenant_id"], doc["run_id"], doc["due_at"], partial(RUNS.read, doc))
            async for doc in ordered
        ]


def _query(tenant_id: str, where: RunFilter) -> Doc:
    query: Doc = {"tenant_id": tenant_id}
    for name, value in (("workflow_id", where.workflow_id), ("user_id", where.user_id)):
        if value is not None:
            query[name] = value
    if where.workflow_ids is not None:
        named = where.workflow_id
        query["workflow_id"] = {"$in": [i for i in where.workflow_ids if named in (None, i)]}
    if where.status is not None:
        query["status"] = where.status.value
    created = {op: at for op, at in (("$gte", where.since), ("$lt", where.until)) if at}
    if created:
        query["created_at"] = created
    return query
