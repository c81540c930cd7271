"""The production store: MongoDB through PyMongo's native async client.

No transactions are used: version numbers come from an atomic ``$inc`` on the head, and a
save that publishes only moves the active version forward, so concurrent saves settle on the
newest. A crash between numbering and writing a version leaves a gap in the numbers, never a
version without its document.
"""

import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, replace
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from pymongo import ASCENDING, AsyncMongoClient, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.errors import Conflict
from app.models.audit import AuditEntry, AuditFilter
from app.models.document import SCHEDULE, WorkflowDocument
from app.models.flow import TenantLimits
from app.models.profile import (
    MAX_BYTES,
    Campaign,
    CampaignMember,
    Profile,
    ProfileChange,
    ProfileFilter,
    Segment,
    SegmentDefinition,
    Touch,
    apply,
)
from app.models.run import (
    Accepted,
    Claim,
    EventRecord,
    Run,
    RunFilter,
    RunStatus,
    StepRecord,
    StepStatus,
)
from app.models.secret import IntegrationConfig, StoredSecret
from app.models.stats import Period, RunTally
from app.models.template import MessageTemplate
from app.models.tenant import ApiKey, Role, Tenant
from app.models.workflow import Page, WorkflowFilter, WorkflowHead, WorkflowVersion
from app.store.errors import (
    campaign_not_found,
    event_not_found,
    integration_not_found,
    key_not_found,
    profile_not_found,
    run_not_found,
    secret_not_found,
    segment_not_found,
    template_exists,
    template_not_found,
    version_not_found,
    workflow_exists,
    workflow_not_found,
)
from app.store.protocol import Intake
from app.store.rules import (
    LIVE,
    MUTABLE_RUN_FIELDS,
    RUN_WRITE_ATTEMPTS,
    UNFINISHED,
    answer_wait,
    cap_reached,
    conversion,
    duplicate,
    event_keys,
    exit_run,
    heard,
    held_by,
    new_head,
    now,
    published,
    recorded,
    run_doc,
    seen_touch,
    shape_rows,
    with_profile,
)

log = logging.getLogger(__name__)
Doc = dict[str, Any]
NO_ID = {"_id": False}
HEAD = {"_id": False, "executions": False}
# Parallel branches are parts of their parent's run: the run counts leave them out.
NOT_BRANCH: Doc = {"$or": [{"parent": None}, {"parent.branch": None}]}
# A claim whose event never appeared was left by a writer that died mid-way; after this long
# it is taken over, so a retried event is not refused for the whole idempotency window.
ABANDONED_CLAIM_SECONDS = 60
NO_HASH = {"_id": False, "key_hash": False}
# A profile is written over the revision it was read at; a writer that keeps losing that race
# to others gives up after this many reads.
PROFILE_WRITE_ATTEMPTS = 20

INDEXES: dict[str, list[IndexModel]] = {
    "tenants": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "tenant_limits": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "api_keys": [
        IndexModel([("key_hash", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("key_id", ASCENDING)], unique=True),
    ],
    "workflows": [
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("trigger_type", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("updated_at", ASCENDING)]),
    ],
    "revisions": [IndexModel([("tenant_id", ASCENDING)], unique=True)],
    "claims": [IndexModel([("tenant_id", ASCENDING), ("key", ASCENDING)], unique=True)],
    "events": [
        IndexModel([("tenant_id", ASCENDING), ("event_id", ASCENDING)], unique=True),
        IndexModel([("received_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("received_at", ASCENDING)]),
    ],
    "runs": [
        IndexModel([("tenant_id", ASCENDING), ("run_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("run_id", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("status", ASCENDING), ("run_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("created_at", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("wait_key", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("listen_keys", ASCENDING)]),
    ],
    "event_shapes": [
        IndexModel(
            [("tenant_id", ASCENDING), ("event_type", ASCENDING), ("paths", ASCENDING)],
            unique=True,
        )
    ],
    "event_keys": [
        IndexModel([("tenant_id", ASCENDING), ("key", ASCENDING), ("received_at", ASCENDING)]),
        IndexModel([("received_at", ASCENDING)]),
    ],
    "audit": [
        IndexModel([("tenant_id", ASCENDING), ("entry_id", ASCENDING)], unique=True),
        IndexModel(
            [
                ("tenant_id", ASCENDING),
                ("entity_type", ASCENDING),
                ("entity_id", ASCENDING),
                ("entry_id", ASCENDING),
            ]
        ),
        IndexModel([("tenant_id", ASCENDING), ("actor", ASCENDING), ("entry_id", ASCENDING)]),
    ],
    "steps": [
        IndexModel([("tenant_id", ASCENDING), ("run_id", ASCENDING), ("seq", ASCENDING)]),
        IndexModel([("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("seq", ASCENDING)]),
    ],
    "secrets": [IndexModel([("tenant_id", ASCENDING), ("name", ASCENDING)], unique=True)],
    "integrations": [IndexModel([("tenant_id", ASCENDING), ("code", ASCENDING)], unique=True)],
    "workflow_versions": [
        IndexModel(
            [("tenant_id", ASCENDING), ("workflow_id", ASCENDING), ("version", ASCENDING)],
            unique=True,
        )
    ],
    "profiles": [
        IndexModel([("tenant_id", ASCENDING), ("user_id", ASCENDING)], unique=True),
        IndexModel([("tenant_id", ASCENDING), ("last_seen", ASCENDING)]),
    ],
    "segments": [IndexModel([("tenant_id", ASCENDING), ("segment_id", ASCENDING)], unique=True)],
    "campaigns": [IndexModel([("tenant_id", ASCENDING), ("campaign_id", ASCENDING)], unique=True)],
    "campaign_members": [
        IndexModel(
            [("tenant_id", ASCENDING), ("campaign_id", ASCENDING), ("user_id", ASCENDING)],
            unique=True,
        )
    ],
    "message_templates": [IndexModel([("tenant_id", ASCENDING), ("name", ASCENDING)], unique=True)],
}


class MongoStore:
    def __init__(
        self, client: AsyncMongoClient[Doc], database: str, profile_max_bytes: int = MAX_BYTES
    ) -> None:
        self._client = client
        self._db: AsyncDatabase[Doc] = client[database]
        self._profile_max_bytes = profile_max_bytes

    @classmethod
    async def open(
        cls, client: AsyncMongoClient[Doc], database: str, profile_max_bytes: int = MAX_BYTES
    ) -> "MongoStore":
        store = cls(client, database, profile_max_bytes)
        for name, indexes in INDEXES.items():
            await store._db[name].create_indexes(indexes)
        return store

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._db.command("ping")

    async def get_limits(self, tenant_id: str) -> TenantLimits:
        found = await self._db.tenant_limits.find_one({"tenant_id": tenant_id}, NO_ID)
        return TenantLimits() if found is None else TenantLimits.model_validate(found["doc"])

    async def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        await self._db.tenant_limits.update_one(
            {"tenant_id": tenant_id},
            {"$set": {"doc": limits.canonical(), "updated_at": now()}},
            upsert=True,
        )
        return limits

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        tenant = Tenant(tenant_id, name, now())
        result = await self._db.tenants.update_one(
            {"tenant_id": tenant_id}, {"$setOnInsert": asdict(tenant)}, upsert=True
        )
        found = await self.get_tenant(tenant_id)
        assert found is not None
        return found, result.upserted_id is not None

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        doc = await self._db.tenants.find_one({"tenant_id": tenant_id}, NO_ID)
        return None if doc is None else Tenant(**doc)

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._db.api_keys.insert_one({**asdict(key), "key_hash": key_hash})

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        doc = await self._db.api_keys.find_one({"key_hash": key_hash}, NO_HASH)
        return None if doc is None else _api_key(doc)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        cursor = self._db.api_keys.find({"tenant_id": tenant_id}, NO_HASH)
        docs = await cursor.sort([("created_at", ASCENDING), ("key_id", ASCENDING)]).to_list(None)
        return [_api_key(doc) for doc in docs]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        query = {"tenant_id": tenant_id, "key_id": key_id}
        await self._db.api_keys.update_one(
            {**query, "revoked_at": None}, {"$set": {"revoked_at": now()}}
        )
        doc = await self._db.api_keys.find_one(query, NO_HASH)
        if doc is None:
            raise key_not_found(key_id)
        return _api_key(doc)

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        query = {"tenant_id": tenant_id, "workflow_id": document.workflow_id}
        existing = await self._db.workflows.find_one(query, HEAD)
        if existing is not None and not existing["archived"]:
            raise workflow_exists(document.workflow_id)
        if existing is None:
            try:
                await self._db.workflows.insert_one(asdict(new_head(tenant_id, document, now())))
            except DuplicateKeyError:
                raise workflow_exists(document.workflow_id) from None
        return await self._save_version(query, document, created_by, publish, revive=True)

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        query = {"tenant_id": tenant_id, "workflow_id": document.workflow_id}
        return await self._save_version(query, document, created_by, publish, revive=False)

    async def _save_version(
        self, query: Doc, document: WorkflowDocument, created_by: str | None, publish: bool,
        revive: bool,
    ) -> tuple[WorkflowHead, WorkflowVersion]:  # fmt: skip
        at = now()
        changes: Doc = {"updated_at": at, **({"archived": False} if revive else {})}
        numbered = await self._db.workflows.find_one_and_update(
            query,
            {"$inc": {"latest_version": 1}, "$set": changes},
            projection=HEAD,
            return_document=ReturnDocument.AFTER,
        )
        if numbered is None:
            raise workflow_not_found(document.workflow_id)
        head = WorkflowHead(**numbered)
        version = WorkflowVersion(
            head.tenant_id, head.workflow_id, head.latest_version, document.canonical(), at,
            created_by,
        )  # fmt: skip
        await self._db.workflow_versions.insert_one(asdict(version))
        await self._add_shapes(head.tenant_id, document)
        if not publish:
            await self._changed(head.tenant_id)
            return head, version
        head = published(head, version, at)
        newer_not_active = {
            "$or": [{"active_version": None}, {"active_version": {"$lt": version.version}}]
        }
        await self._db.workflows.update_one(
            {**query, **newer_not_active}, {"$set": _published_fields(head)}
        )
        await self._changed(head.tenant_id)
        return await self.get_workflow(head.tenant_id, head.workflow_id), version

    async def _add_shapes(self, tenant_id: str, document: WorkflowDocument) -> None:
        """Before the version can be published: an event accepted once a run of it exists
        is keyed for its shapes."""
        for tenant, event_type, paths in shape_rows(tenant_id, document):
            shape = {"tenant_id": tenant, "event_type": event_type, "paths": paths}
            await self._db.event_shapes.update_one(shape, {"$setOnInsert": shape}, upsert=True)

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        doc = await self._db.workflows.find_one(
            {"tenant_id": tenant_id, "workflow_id": workflow_id}, HEAD
        )
        if doc is None:
            raise workflow_not_found(workflow_id)
        return WorkflowHead(**doc)

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        query: Doc = {"tenant_id": tenant_id, "workflow_id": {"$gt": page.after or ""}}
        if where.trigger_type is not None:
            query["trigger_type"] = where.trigger_type
        if where.enabled is not None:
            query["enabled"] = where.enabled
        if not where.include_archived:
            query["archived"] = False
        cursor = self._db.workflows.find(query, HEAD).sort("workflow_id", ASCENDING)
        return [WorkflowHead(**doc) for doc in await cursor.limit(page.limit).to_list(None)]

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        await self.get_workflow(tenant_id, workflow_id)
        cursor = self._db.workflow_versions.find(
            {"tenant_id": tenant_id, "workflow_id": workflow_id}, NO_ID
        ).sort("version", ASCENDING)
        return [WorkflowVersion(**doc) for doc in await cursor.to_list(None)]

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        doc = await self._db.workflow_versions.find_one(
            {"tenant_id": tenant_id, "workflow_id": workflow_id, "version": version}, NO_ID
        )
        if doc is None:
            raise version_not_found(workflow_id, version)
        return WorkflowVersion(**doc)

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        head = await self.get_workflow(tenant_id, workflow_id)
        head = published(head, await self.get_version(tenant_id, workflow_id, version), now())
        return await self._set(tenant_id, workflow_id, _published_fields(head))

    async def set_enabled(self, tenant_id: str, workflow_id: str, enabled: bool) -> WorkflowHead:
        return await self._set(tenant_id, workflow_id, {"enabled": enabled, "updated_at": now()})

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        changes = {"archived": True, "enabled": False, "updated_at": now()}
        return await self._set(tenant_id, workflow_id, changes)

    async def _set(self, tenant_id: str, workflow_id: str, changes: Doc) -> WorkflowHead:
        doc = await self._db.workflows.find_one_and_update(
            {"tenant_id": tenant_id, "workflow_id": workflow_id},
            {"$set": changes},
            projection=HEAD,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise workflow_not_found(workflow_id)
        await self._changed(tenant_id)
        return WorkflowHead(**doc)

    async def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        return await self._active({"tenant_id": tenant_id})

    async def scheduled_versions(self) -> list[WorkflowVersion]:
        return await self._active({"trigger_type": SCHEDULE})

    async def _active(self, where: Doc) -> list[WorkflowVersion]:
        heads = self._db.workflows.find(
            {**where, "enabled": True, "archived": False, "active_version": {"$ne": None}},
            {"_id": False, "tenant_id": True, "workflow_id": True, "active_version": True},
        )
        wanted = [
            {
                "tenant_id": d["tenant_id"],
                "workflow_id": d["workflow_id"],
                "version": d["active_version"],
            }
            async for d in heads
        ]
        if not wanted:
            return []
        versions = self._db.workflow_versions.find({"$or": wanted}, NO_ID)
        return [WorkflowVersion(**doc) async for doc in versions]

    async def workflows_revision(self, tenant_id: str) -> str:
        doc = await self._db.revisions.find_one({"tenant_id": tenant_id})
        return str(doc["n"] if doc else 0)

    async def _changed(self, tenant_id: str) -> None:
        await self._db.revisions.update_one(
            {"tenant_id": tenant_id}, {"$inc": {"n": 1}}, upsert=True
        )

    async def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        return [await self.accept_event(intake) for intake in intakes]

    async def accept_event(self, intake: Intake) -> Accepted:
        """Without transactions: claim the event key, admit runs, write runs, then the event.
        Runs are written before the event, so an event that exists always has its runs."""
        event = intake.event
        if intake.event_claim is not None:
            owner = await self._claim(event.tenant_id, intake.event_claim)
            if owner is not None:
                found = await self._db.events.find_one(
                    {"tenant_id": event.tenant_id, "event_id": owner}, NO_ID
                )
                if found is not None:
                    return duplicate(_event(found))
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
        woken, ended = await self._react(intake)
        return replace(accepted, woken=woken, ended=ended)

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
            [{"tenant_id": event.tenant_id, "key": key, "received_at": event.received_at,
              "event_id": event.event_id} for key in keys]
        )  # fmt: skip
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
        taken_at = doc["taken_at"] if doc else now()
        if (now() - taken_at).total_seconds() < ABANDONED_CLAIM_SECONDS:
            raise Conflict(
                f"An event with idempotency key {claim.key!r} is being accepted; retry shortly."
            )
        await self._db.claims.update_one(
            {"tenant_id": tenant_id, "key": claim.key, "owner": owner},
            {"$set": {"owner": claim.owner, "taken_at": now()}},
        )

    async def _admit(self, run: Run, intake: Intake) -> str | None:
        """As on SQLite: a held business key skips the run; then the cap; then the key is
        taken (a race lost there still skips the run)."""
        claim = intake.run_claims.get(run.run_id)
        if claim is not None:
            holder = await self._db.claims.find_one(
                {"tenant_id": run.tenant_id, "key": claim.key, "expires_at": {"$gt": now()}}
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
            {"tenant_id": run.tenant_id, "workflow_id": run.workflow_id,
             "$or": [{"executions": {"$exists": False}}, {"executions": {"$lt": cap}}]},
            {"$inc": {"executions": 1}},
        )  # fmt: skip
        return result.modified_count == 1

    async def _claim(self, tenant_id: str, claim: Claim) -> str | None:
        """Take the key, or return who holds it while it is live."""
        at = now()
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
        doc = await self._db.events.find_one({"tenant_id": tenant_id, "event_id": event_id}, NO_ID)
        if doc is None:
            raise event_not_found(event_id)
        return _event(doc)

    async def add_runs(self, runs: Sequence[Run]) -> None:
        for run in runs:
            with suppress(DuplicateKeyError):
                await self._db.runs.insert_one(run_doc(run))

    async def get_run(self, tenant_id: str, run_id: str) -> Run:
        doc = await self._db.runs.find_one({"tenant_id": tenant_id, "run_id": run_id}, NO_ID)
        if doc is None:
            raise run_not_found(run_id)
        return _run(doc)

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        if steps:
            seq = now().timestamp()
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

    async def list_runs(self, tenant_id: str, where: RunFilter, page: Page) -> list[Run]:
        query: Doc = {"tenant_id": tenant_id}
        for name, value in (("workflow_id", where.workflow_id), ("user_id", where.user_id)):
            if value is not None:
                query[name] = value
        if where.status is not None:
            query["status"] = where.status.value
        created = {op: at for op, at in (("$gte", where.since), ("$lt", where.until)) if at}
        if created:
            query["created_at"] = created
        if page.after is not None:
            query["run_id"] = {"$lt": page.after}
        cursor = self._db.runs.find(query, NO_ID).sort("run_id", -1).limit(page.limit)
        return [_run(doc) async for doc in cursor]

    async def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]:
        cursor = self._db.steps.find({"tenant_id": tenant_id, "run_id": run_id}, STEP)
        return [_step(doc) async for doc in cursor.sort("seq", ASCENDING)]

    async def workflow_steps(
        self, tenant_id: str, workflow_id: str, limit: int
    ) -> list[StepRecord]:
        cursor = self._db.steps.find({"tenant_id": tenant_id, "workflow_id": workflow_id}, STEP)
        return [_step(doc) async for doc in cursor.sort("seq", -1).limit(limit)]

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
        match: Doc = {"tenant_id": tenant_id, "created_at": _within(period), **NOT_BRANCH}
        if workflow_id is not None:
            match["workflow_id"] = workflow_id
        group = {"_id": {"w": "$workflow_id", "s": "$status"}, "n": {"$sum": 1},
                 "seconds": {"$sum": "$active_seconds"}}  # fmt: skip
        cursor = await self._db.runs.aggregate([{"$match": match}, {"$group": group}])
        return [
            RunTally(row["_id"]["w"], RunStatus(row["_id"]["s"]), row["n"], row["seconds"])
            async for row in cursor
        ]

    async def count_events(self, tenant_id: str, period: Period) -> int:
        query = {"tenant_id": tenant_id, "received_at": _within(period)}
        return await self._db.events.count_documents(query)

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._db.audit.insert_one(asdict(entry))

    async def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        query: Doc = {"tenant_id": tenant_id}
        for name in ("entity_type", "entity_id", "actor"):
            if getattr(where, name) is not None:
                query[name] = getattr(where, name)
        if where.since is not None:
            query["at"] = {"$gte": where.since}
        if page.after is not None:
            query["entry_id"] = {"$lt": page.after}
        cursor = self._db.audit.find(query, NO_ID).sort("entry_id", -1).limit(page.limit)
        return [AuditEntry(**doc) async for doc in cursor]

    async def live_run_counts(self) -> dict[RunStatus, int]:
        cursor = await self._db.runs.aggregate(
            [
                {"$match": {"status": {"$in": [s.value for s in UNFINISHED]}}},
                {"$group": {"_id": "$status", "n": {"$sum": 1}}},
            ]
        )
        return {RunStatus(row["_id"]): row["n"] async for row in cursor}

    async def purge(self, events_before: datetime, now: datetime) -> int:
        deleted = await self._db.events.delete_many({"received_at": {"$lt": events_before}})
        await self._db.claims.delete_many({"expires_at": {"$lte": now}})
        await self._db.event_keys.delete_many({"received_at": {"$lt": events_before}})
        return deleted.deleted_count

    async def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        cursor = self._db.runs.find(
            {"status": {"$in": [s.value for s in LIVE]}, "due_at": {"$lte": before}},
            {"_id": False, "tenant_id": True, "run_id": True},
        )
        return [
            (doc["tenant_id"], doc["run_id"]) async for doc in cursor.sort("due_at").limit(limit)
        ]

    async def put_secret(
        self, tenant_id: str, name: str, ciphertext: str
    ) -> tuple[StoredSecret, bool]:
        at = now()
        result = await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name},
            {
                "$set": {"ciphertext": ciphertext, "updated_at": at},
                "$setOnInsert": {"created_at": at, "rotated_at": None},
            },
            upsert=True,
        )
        stored = await self._secret(tenant_id, name)
        assert stored is not None
        return stored, result.upserted_id is not None

    async def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        at = now()
        await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name},
            {"$set": {"ciphertext": ciphertext, "updated_at": at, "rotated_at": at}},
        )
        stored = await self._secret(tenant_id, name)
        if stored is None:
            raise secret_not_found(name)
        return stored

    async def _secret(self, tenant_id: str, name: str) -> StoredSecret | None:
        doc = await self._db.secrets.find_one({"tenant_id": tenant_id, "name": name}, NO_ID)
        return None if doc is None else StoredSecret(**doc)

    async def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        return await self._secrets({"tenant_id": tenant_id, "name": {"$in": list(names)}})

    async def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        return await self._secrets({"tenant_id": tenant_id})

    async def all_secrets(self) -> list[StoredSecret]:
        return await self._secrets({})

    async def _secrets(self, where: Doc) -> list[StoredSecret]:
        cursor = self._db.secrets.find(where, NO_ID)
        docs = await cursor.sort([("tenant_id", ASCENDING), ("name", ASCENDING)]).to_list(None)
        return [StoredSecret(**doc) for doc in docs]

    async def delete_secret(self, tenant_id: str, name: str) -> None:
        result = await self._db.secrets.delete_one({"tenant_id": tenant_id, "name": name})
        if not result.deleted_count:
            raise secret_not_found(name)

    async def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        result = await self._db.secrets.update_one(
            {"tenant_id": tenant_id, "name": name, "ciphertext": old},
            {"$set": {"ciphertext": new}},
        )
        return bool(result.modified_count)

    async def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        at = now()
        result = await self._db.integrations.update_one(
            {"tenant_id": tenant_id, "code": code},
            # Stored as JSON text: a configuration's keys may start with "$" ("$secret").
            {
                "$set": {"config": orjson.dumps(config).decode(), "updated_at": at},
                "$setOnInsert": {"created_at": at},
            },
            upsert=True,
        )
        stored = await self.get_integration(tenant_id, code)
        assert stored is not None
        return stored, result.upserted_id is not None

    async def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        doc = await self._db.integrations.find_one({"tenant_id": tenant_id, "code": code}, NO_ID)
        return None if doc is None else _integration(doc)

    async def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        cursor = self._db.integrations.find({"tenant_id": tenant_id}, NO_ID)
        return [_integration(doc) for doc in await cursor.sort("code").to_list(None)]

    async def delete_integration(self, tenant_id: str, code: str) -> None:
        result = await self._db.integrations.delete_one({"tenant_id": tenant_id, "code": code})
        if not result.deleted_count:
            raise integration_not_found(code)

    async def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        profile = await self._profile(tenant_id, user_id)
        if profile is None:
            raise profile_not_found(user_id)
        return profile

    async def _profile(self, tenant_id: str, user_id: str) -> Profile | None:
        doc = await self._db.profiles.find_one({"tenant_id": tenant_id, "user_id": user_id}, NO_ID)
        return None if doc is None else Profile(**doc)

    async def list_profiles(
        self, tenant_id: str, where: ProfileFilter, page: Page
    ) -> list[Profile]:
        query: Doc = {"tenant_id": tenant_id, "user_id": {"$gt": page.after or ""}}
        seen = {op: at for op, at in (("$lt", where.seen_before), ("$gt", where.seen_after)) if at}
        if seen:
            query["last_seen"] = seen
        cursor = self._db.profiles.find(query, NO_ID).sort("user_id", ASCENDING).limit(page.limit)
        return [Profile(**doc) async for doc in cursor]

    async def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        """Read, merge, and write over the revision read; a lost race reads again."""
        for _ in range(PROFILE_WRITE_ATTEMPTS):
            existing = await self._profile(tenant_id, touch.user_id)
            change = apply(tenant_id, existing, touch, self._profile_max_bytes)
            if await self._write_profile(change.profile, existing):
                return change
        raise Conflict(f"The profile of {touch.user_id!r} is changing too fast; retry.")

    async def _write_profile(self, profile: Profile, existing: Profile | None) -> bool:
        if existing is None:
            try:
                await self._db.profiles.insert_one(asdict(profile))
            except DuplicateKeyError:
                return False
            return True
        result = await self._db.profiles.update_one(
            {"tenant_id": profile.tenant_id, "user_id": profile.user_id,
             "revision": existing.revision},
            {"$set": asdict(profile)},
        )  # fmt: skip
        return result.matched_count == 1

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        at = now()
        result = await self._db.segments.update_one(
            {"tenant_id": tenant_id, "segment_id": segment_id},
            {"$set": {**asdict(definition), "updated_at": at}, "$setOnInsert": {"created_at": at}},
            upsert=True,
        )
        return await self.get_segment(tenant_id, segment_id), result.upserted_id is not None

    async def get_segment(self, tenant_id: str, segment_id: str) -> Segment:
        doc = await self._db.segments.find_one(
            {"tenant_id": tenant_id, "segment_id": segment_id}, NO_ID
        )
        if doc is None:
            raise segment_not_found(segment_id)
        return Segment(**doc)

    async def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        cursor = self._db.segments.find(
            {"tenant_id": tenant_id, "segment_id": {"$gt": page.after or ""}}, NO_ID
        )
        return [Segment(**doc) async for doc in cursor.sort("segment_id").limit(page.limit)]

    async def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        query = {"tenant_id": tenant_id, "campaign_id": campaign_id}
        created = {"name": name or campaign_id, "created_at": at}
        with suppress(DuplicateKeyError):  # created meanwhile by a concurrent first member
            await self._db.campaigns.update_one(query, {"$setOnInsert": created}, upsert=True)
        try:
            await self._db.campaign_members.insert_one(
                {**query, "user_id": user_id, "added_at": at}
            )
        except DuplicateKeyError:
            return False
        return True

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        doc = await self._db.campaigns.find_one(
            {"tenant_id": tenant_id, "campaign_id": campaign_id}, NO_ID
        )
        if doc is None:
            raise campaign_not_found(campaign_id)
        return (await self._counted(tenant_id, [doc]))[0]

    async def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        cursor = self._db.campaigns.find(
            {"tenant_id": tenant_id, "campaign_id": {"$gt": page.after or ""}}, NO_ID
        )
        docs = await cursor.sort("campaign_id").limit(page.limit).to_list(None)
        return await self._counted(tenant_id, docs)

    async def _counted(self, tenant_id: str, docs: list[Doc]) -> list[Campaign]:
        if not docs:
            return []
        ids = [doc["campaign_id"] for doc in docs]
        cursor = await self._db.campaign_members.aggregate(
            [
                {"$match": {"tenant_id": tenant_id, "campaign_id": {"$in": ids}}},
                {"$group": {"_id": "$campaign_id", "n": {"$sum": 1}}},
            ]
        )
        counts = {row["_id"]: row["n"] async for row in cursor}
        return [Campaign(**doc, members=counts.get(doc["campaign_id"], 0)) for doc in docs]

    async def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        await self.get_campaign(tenant_id, campaign_id)
        cursor = self._db.campaign_members.find(
            {"tenant_id": tenant_id, "campaign_id": campaign_id,
             "user_id": {"$gt": page.after or ""}},
            {"_id": False, "campaign_id": True, "user_id": True, "added_at": True},
        )  # fmt: skip
        return [CampaignMember(**doc) async for doc in cursor.sort("user_id").limit(page.limit)]

    async def create_template(self, template: MessageTemplate) -> MessageTemplate:
        try:
            await self._db.message_templates.insert_one(asdict(template))
        except DuplicateKeyError:
            raise template_exists(template.name) from None
        return template

    async def update_template(self, template: MessageTemplate) -> MessageTemplate:
        changes = {part: getattr(template, part) for part in ("subject", "text", "html")}
        doc = await self._db.message_templates.find_one_and_update(
            {"tenant_id": template.tenant_id, "name": template.name},
            {"$set": changes | {"updated_at": template.updated_at}},
            NO_ID,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise template_not_found(template.name)
        return MessageTemplate(**doc)

    async def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        doc = await self._db.message_templates.find_one(
            {"tenant_id": tenant_id, "name": name}, NO_ID
        )
        if doc is None:
            raise template_not_found(name)
        return MessageTemplate(**doc)

    async def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        cursor = self._db.message_templates.find(
            {"tenant_id": tenant_id, "name": {"$gt": page.after or ""}}, NO_ID
        )
        docs = await cursor.sort("name", ASCENDING).limit(page.limit).to_list(None)
        return [MessageTemplate(**doc) for doc in docs]

    async def delete_template(self, tenant_id: str, name: str) -> None:
        deleted = await self._db.message_templates.delete_one(
            {"tenant_id": tenant_id, "name": name}
        )
        if deleted.deleted_count == 0:
            raise template_not_found(name)


STEP = {"_id": False, "seq": False}
# Run fields; a stored run also holds derived fields (its wait key) that are no Run field.
RUN_FIELDS = frozenset(Run.__dataclass_fields__)


def _within(period: Period) -> Doc:
    return {"$gte": period.since, "$lt": period.until}


def _run(doc: Doc) -> Run:
    fields = {name: value for name, value in doc.items() if name in RUN_FIELDS}
    return Run(**(fields | {"status": RunStatus(doc["status"])}))


def _event(doc: Doc) -> EventRecord:
    return EventRecord(**doc)


def _step(doc: Doc) -> StepRecord:
    return StepRecord(**(doc | {"status": StepStatus(doc["status"])}))


def _published_fields(head: WorkflowHead) -> Doc:
    fields = ("name", "trigger_type", "active_version", "enabled", "archived", "updated_at")
    return {field: getattr(head, field) for field in fields}


def _integration(doc: Doc) -> IntegrationConfig:
    return IntegrationConfig(**(doc | {"config": orjson.loads(doc["config"])}))


def _api_key(doc: Doc) -> ApiKey:
    return ApiKey(**{**doc, "role": Role(doc["role"])})
