"""Erasing a person on MongoDB: every collection that holds their data, one after another
(no transaction: a crash part-way leaves the rest for the next call, which finds it)."""

from dataclasses import asdict

from app.models.profile import Erased
from app.store.mongo.connection import Connection
from app.store.mongo.documents import EVENTS, RUNS
from app.store.rules import MUTABLE_RUN_FIELDS, erase_run, erased_event, run_doc


class Erasure(Connection):
    async def erase_user(self, tenant_id: str, user_id: str) -> Erased:
        mine = {"tenant_id": tenant_id, "user_id": user_id}
        profiles = (await self._db.profiles.delete_many(mine)).deleted_count
        memberships = (await self._db.campaign_members.delete_many(mine)).deleted_count
        events = await self._erase_events(tenant_id, user_id)
        runs = await self._select(RUNS, mine)
        for run in runs:
            erase_run(run)
            changes = {k: v for k, v in run_doc(run).items() if k in MUTABLE_RUN_FIELDS}
            await self._db.runs.update_one(
                {"tenant_id": tenant_id, "run_id": run.run_id},
                {
                    "$set": changes | {"user_id": None, "context": {}, "listeners": []},
                    "$inc": {"revision": 1},
                },
            )
        run_ids = {"tenant_id": tenant_id, "run_id": {"$in": [run.run_id for run in runs]}}
        steps = await self._db.steps.update_many(
            run_ids, {"$set": {"input": None, "output": None, "error": None}}
        )
        outbox = await self._db.outbox.delete_many(run_ids)
        return Erased(
            profiles, memberships, events, len(runs), steps.modified_count, outbox.deleted_count
        )

    async def _erase_events(self, tenant_id: str, user_id: str) -> int:
        ids: list[str | int] = [user_id, *([int(user_id)] if user_id.isdigit() else [])]
        found = await self._select(EVENTS, {"tenant_id": tenant_id, "user.id": {"$in": ids}})
        for event in found:
            await self._db.events.replace_one(
                {"tenant_id": tenant_id, "event_id": event.event_id}, asdict(erased_event(event))
            )
            await self._db.event_keys.delete_many(
                {"tenant_id": tenant_id, "event_id": event.event_id}
            )
        return len(found)
