"""Events in, on MongoDB: idempotency keys, the runs an event starts, and the runs it wakes
or ends, without transactions."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from functools import partial

import orjson
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from app.errors import Conflict
from app.models.run import Accepted, Claim, EventFilter, EventRecord, Run
from app.models.stats import Period
from app.models.workflow import Page
from app.store.errors import event_not_found
from app.store.mongo.audience import Audience
from app.store.mongo.documents import EVENTS, NO_ID, Doc, within
from app.store.mongo.runs import Runs
from app.store.protocol import Intake
from app.store.rules import (
    RUN_WRITE_ATTEMPTS,
    answer_wait,
    cap_reached,
    conversion,
    duplicate,
    event_keys,
    exit_run,
    heard,
    held_by,
    kept_days,
    reacted,
    recorded,
    run_doc,
    seen_touch,
    with_profile,
)

log = logging.getLogger(__name__)
# A claim whose event never appeared was left by a writer that died mid-way; after this long
# it is taken over, so a retried event is not refused for the whole idempotency window.
ABANDONED_CLAIM_SECONDS = 60


class EventIntake(Runs, Audience):
    async def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        return [await self.accept_event(intake) for intake in intakes]

    async def accept_event(self, intake: Intake) -> Accepted:
        """Without transactions: claim the event key, admit runs, write runs, then the event.
        Runs are written before the event, so an event that exists always has its runs."""
        event = intake.event
        if intake.event_claim is not None:
            owner = await self._claim(event.tenant_id, intake.event_claim)
            if owner is not None:
                found = await self._find(EVENTS, tenant_id=event.tenant_id, event_id=owner)
                if found is not None:
                    return duplicate(found)
                await self._take_over(event.tenant_id, intake.event_claim, owner)
        runs, skipped = [], {}
        for run in intake.runs:
            reason = await self._admit(run, intake)
            if reason is None:
                runs.append(run)
            else:
                skipped[run.workflow_id] = reason
        touch = seen_touch(event)
        if touch is not None:
            with_profile(
                runs, (await self.update_profile(event.tenant_id, touch)).profile, touch.at
            )
        accepted = recorded(intake, runs, skipped)
        if runs:
            await self._db.runs.insert_many([run_doc(run) for run in runs])
        await self._db.events.insert_one(asdict(accepted.event))
        return await self._reacted(accepted, intake)

    async def _reacted(self, accepted: Accepted, intake: Intake) -> Accepted:
        """React to the stored event, then note on it what it answered and ended (for the
        event log only: a crash before the note leaves the log without them)."""
        accepted = reacted(accepted, *await self._react(intake))
        event = accepted.event
        if event.answered or event.ended:
            await self._db.events.update_one(
                {"tenant_id": event.tenant_id, "event_id": event.event_id},
                {"$set": {"answered": event.answered, "ended": event.ended}},
            )
        return accepted

    async def _react(self, intake: Intake) -> tuple[list[Run], list[Run]]:
        """After the event is written: key it for every shape, keep the keys, tell the runs
        listening to them and answer the waits they name. A crash before this is caught by
        a wait's check at its deadline; an exit or goal it had to act on is lost."""
        event = intake.event
        shapes = self._db.event_shapes.find(
            {"tenant_id": event.tenant_id, "event_type": event.type}, NO_ID
        )
        keys = sorted(event_keys(intake, [orjson.loads(doc["paths"]) async for doc in shapes]))
        if not keys:
            return [], []
        await self._db.event_keys.insert_many(
            [
                {
                    "tenant_id": event.tenant_id,
                    "key": key,
                    "received_at": event.received_at,
                    "event_id": event.event_id,
                }
                for key in keys
            ]
        )
        ended = [
            run
            for run_id in await self._run_ids(event.tenant_id, "listen_keys", keys)
            if (run := await self._notify(event, run_id, keys)) is not None
        ]
        woken = []
        for run_id in await self._run_ids(event.tenant_id, "wait_key", keys):
            run = await self._change(
                event.tenant_id, run_id, partial(answer_wait, event=event, keys=keys)
            )
            if run is not None:
                woken.append(run)
        return woken, ended

    async def _run_ids(self, tenant_id: str, field: str, keys: list[str]) -> list[str]:
        found = self._db.runs.find(
            {"tenant_id": tenant_id, field: {"$in": keys}}, {"_id": False, "run_id": True}
        )
        return [doc["run_id"] async for doc in found]

    async def _notify(self, event: EventRecord, run_id: str, keys: list[str]) -> Run | None:
        """A goal or an exit of a run listening to one of these keys; the run if it ended."""
        run = await self.get_run(event.tenant_id, run_id)
        converted = conversion(run, heard(run, event, keys), event)
        if converted is not None:
            await self._db.runs.update_one(
                {"tenant_id": run.tenant_id, "run_id": run_id, "converted": None},
                {"$set": {"converted": converted}},
            )
        return await self._change(
            event.tenant_id, run_id, lambda run: exit_run(run, heard(run, event, keys), event)
        )

    async def _change(
        self, tenant_id: str, run_id: str, change: Callable[[Run], bool]
    ) -> Run | None:
        """The run once ``change`` applied to it and it was saved; None if ``change`` said
        there was nothing to do. Read again while another writer changes it meanwhile."""
        for _ in range(RUN_WRITE_ATTEMPTS):
            run = await self.get_run(tenant_id, run_id)
            if not change(run):
                return None
            if await self.save_run(run):
                return run
        log.warning("run %s kept changing; an event's effect on it was not applied", run_id)
        return None

    async def find_event(
        self, tenant_id: str, key: str, since: datetime, until: datetime | None
    ) -> EventRecord | None:
        window = {"$gte": since} | ({} if until is None else {"$lte": until})
        found = (
            await self._db.event_keys.find(
                {"tenant_id": tenant_id, "key": key, "received_at": window}, NO_ID
            )
            .sort("received_at", ASCENDING)
            .limit(1)
            .to_list(None)
        )
        return await self.get_event(tenant_id, found[0]["event_id"]) if found else None

    async def _take_over(self, tenant_id: str, claim: Claim, owner: str) -> None:
        doc = await self._db.claims.find_one({"tenant_id": tenant_id, "key": claim.key})
        taken_at = doc["taken_at"] if doc else self._clock.now()
        if (self._clock.now() - taken_at).total_seconds() < ABANDONED_CLAIM_SECONDS:
            raise Conflict(
                f"An event with idempotency key {claim.key!r} is being accepted; retry shortly."
            )
        await self._db.claims.update_one(
            {"tenant_id": tenant_id, "key": claim.key, "owner": owner},
            {"$set": {"owner": claim.owner, "taken_at": self._clock.now()}},
        )

    async def _admit(self, run: Run, intake: Intake) -> str | None:
        """As on SQLite: a held business key skips the run; then the cap; then the key is
        taken (a race lost there still skips the run)."""
        claim = intake.run_claims.get(run.run_id)
        if claim is not None:
            holder = await self._db.claims.find_one(
                {
                    "tenant_id": run.tenant_id,
                    "key": claim.key,
                    "expires_at": {"$gt": self._clock.now()},
                }
            )
            if holder is not None:
                return held_by(claim, holder["owner"])
        cap = intake.caps.get(run.workflow_id)
        if cap is not None and not await self._count_execution(run, cap):
            return cap_reached(cap)
        if claim is not None:
            owner = await self._claim(run.tenant_id, claim)
            if owner is not None:
                return held_by(claim, owner)
        return None

    async def _count_execution(self, run: Run, cap: int) -> bool:
        result = await self._db.workflows.update_one(
            {
                "tenant_id": run.tenant_id,
                "workflow_id": run.workflow_id,
                "$or": [{"executions": {"$exists": False}}, {"executions": {"$lt": cap}}],
            },
            {"$inc": {"executions": 1}},
        )
        return result.modified_count == 1

    async def _claim(self, tenant_id: str, claim: Claim) -> str | None:
        """Take the key, or return who holds it while it is live."""
        at = self._clock.now()
        try:
            await self._db.claims.update_one(
                {"tenant_id": tenant_id, "key": claim.key, "expires_at": {"$lte": at}},
                {"$set": {"owner": claim.owner, "expires_at": claim.expires_at, "taken_at": at}},
                upsert=True,
            )
            return None
        except DuplicateKeyError:
            doc = await self._db.claims.find_one({"tenant_id": tenant_id, "key": claim.key})
            return str(doc["owner"]) if doc else None

    async def get_event(self, tenant_id: str, event_id: str) -> EventRecord:
        return await self._get_one(
            EVENTS, partial(event_not_found, event_id), tenant_id=tenant_id, event_id=event_id
        )

    async def list_events(
        self, tenant_id: str, where: EventFilter, page: Page
    ) -> list[EventRecord]:
        query: Doc = {"tenant_id": tenant_id}
        for name, value in (("type", where.type), ("idempotency_key", where.idempotency_key)):
            if value is not None:
                query[name] = value
        if where.user_id is not None:
            # A user id is kept as sent: a string, or an integer the filter spells in digits.
            ids: list[str | int] = [where.user_id]
            if where.user_id.lstrip("-").isdigit():
                ids.append(int(where.user_id))
            query["user.id"] = {"$in": ids}
        received = {op: at for op, at in (("$gte", where.since), ("$lt", where.until)) if at}
        if received:
            query["received_at"] = received
        return await self._page(EVENTS, page, "event_id", query, newest_first=True)

    async def count_events(self, tenant_id: str, period: Period) -> int:
        query = {"tenant_id": tenant_id, "received_at": within(period)}
        first, end = kept_days(period)
        kept = self._db.kept_events.find(
            {"tenant_id": tenant_id, "day": {"$gte": first, "$lt": end}}
        )
        counted = sum([int(doc["count"]) async for doc in kept])
        return await self._db.events.count_documents(query) + counted

    async def event_types(self, tenant_id: str, limit: int) -> list[str]:
        # Sorted as the (tenant_id, type, event_id) index is, so that MongoDB may read the
        # index by type (a DISTINCT_SCAN) rather than event by event: not measured here, as
        # no MongoDB server runs on these machines.
        cursor = await self._db.events.aggregate(
            [
                {"$match": {"tenant_id": tenant_id}},
                {"$sort": {"tenant_id": 1, "type": 1}},
                {"$group": {"_id": "$type"}},
                {"$sort": {"_id": 1}},
                {"$limit": limit},
            ]
        )
        return [str(doc["_id"]) async for doc in cursor]

    async def purge_claims(self, now: datetime) -> int:
        return (await self._db.claims.delete_many({"expires_at": {"$lte": now}})).deleted_count
