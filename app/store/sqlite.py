"""The embedded store: one SQLite file in WAL mode.

Every call, a whole transaction included, runs in one hop on the store's own thread. (With
aiosqlite each statement is a hop of its own, so a transaction held SQLite's write lock
across event-loop turns; under load, an API and a worker process starved each other into
"database is locked". The benchmark showed it.)
"""

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import orjson

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
    UNFINISHED,
    answer_wait,
    cap_reached,
    claim_is_live,
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
    seen_touch,
    shape_rows,
    with_profile,
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
    executions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id)
);
CREATE INDEX IF NOT EXISTS workflows_updated ON workflows (tenant_id, updated_at);
CREATE INDEX IF NOT EXISTS workflows_scheduled ON workflows (trigger_type, enabled);
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
CREATE TABLE IF NOT EXISTS revisions (
    tenant_id TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE TABLE IF NOT EXISTS events (
    tenant_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    received_at TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE INDEX IF NOT EXISTS events_tenant_received ON events (tenant_id, received_at);
CREATE TABLE IF NOT EXISTS runs (
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    user_id TEXT,
    status TEXT NOT NULL,
    due_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
);
CREATE INDEX IF NOT EXISTS runs_workflow ON runs (tenant_id, workflow_id, run_id);
CREATE INDEX IF NOT EXISTS runs_status ON runs (tenant_id, status, run_id);
CREATE INDEX IF NOT EXISTS runs_due ON runs (status, due_at);
CREATE INDEX IF NOT EXISTS runs_created ON runs (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS audit (
    tenant_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tenant_id, entry_id)
);
CREATE INDEX IF NOT EXISTS audit_entity ON audit (tenant_id, entity_type, entity_id, entry_id);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (tenant_id, actor, entry_id);
CREATE TABLE IF NOT EXISTS steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_run ON steps (tenant_id, run_id, seq);
CREATE INDEX IF NOT EXISTS steps_workflow ON steps (tenant_id, workflow_id, seq);
CREATE TABLE IF NOT EXISTS event_shapes (
    tenant_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    paths TEXT NOT NULL,
    PRIMARY KEY (tenant_id, event_type, paths)
);
CREATE TABLE IF NOT EXISTS event_keys (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key, received_at, event_id)
);
CREATE INDEX IF NOT EXISTS event_keys_received ON event_keys (received_at);
CREATE TABLE IF NOT EXISTS secrets (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    rotated_at TEXT,
    PRIMARY KEY (tenant_id, name)
);
CREATE TABLE IF NOT EXISTS integrations (
    tenant_id TEXT NOT NULL,
    code TEXT NOT NULL,
    config BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code)
);
CREATE TABLE IF NOT EXISTS profiles (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    event_count INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    attributes BLOB NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX IF NOT EXISTS profiles_last_seen ON profiles (tenant_id, last_seen);
CREATE TABLE IF NOT EXISTS segments (
    tenant_id TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    conditions BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, segment_id)
);
CREATE TABLE IF NOT EXISTS campaigns (
    tenant_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id)
);
CREATE TABLE IF NOT EXISTS campaign_members (
    tenant_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, user_id)
);
CREATE TABLE IF NOT EXISTS tenant_limits (
    tenant_id TEXT PRIMARY KEY,
    doc BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_listeners (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key, run_id)
);
CREATE INDEX IF NOT EXISTS run_listeners_run ON run_listeners (tenant_id, run_id);
CREATE TABLE IF NOT EXISTS message_templates (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT,
    text TEXT,
    html TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
"""
# Columns added to tables of files created by earlier versions, then the indexes on them.
ADDED_COLUMNS = {"runs": (("wait_key", "TEXT"), ("converted", "BLOB"))}
ADDED_INDEXES = """
CREATE INDEX IF NOT EXISTS runs_wait ON runs (tenant_id, wait_key) WHERE wait_key IS NOT NULL;
"""
RUN_COLUMNS = (
    "tenant_id, run_id, workflow_id, user_id, status, due_at, created_at, updated_at, revision, "
    "doc, converted"
)
RUN_STATE = (
    "version", "event_id", "context", "pc", "attempt", "delay_served", "vars", "outputs",
    "active_seconds", "error", "history", "wait", "listeners", "variants", "loops", "parent",
    "depth", "join", "forks",
)  # fmt: skip

# Parallel branches are parts of their parent's run: the run counts leave them out.
NOT_BRANCH = "json_extract(CAST(doc AS TEXT), '$.parent.branch') IS NULL"
BUSY_TIMEOUT_MS = 30_000
ACTIVE_VERSIONS = (
    "SELECT v.* FROM workflows w JOIN workflow_versions v ON v.tenant_id = w.tenant_id "
    "AND v.workflow_id = w.workflow_id AND v.version = w.active_version "
    "WHERE w.enabled = 1 AND w.archived = 0"
)
P = ParamSpec("P")
T = TypeVar("T")
HEAD_COLUMNS = (
    "tenant_id, workflow_id, name, trigger_type, latest_version, active_version, enabled, "
    "archived, created_at, updated_at"
)
KEY_COLUMNS = "key_id, tenant_id, role, name, prefix, created_at, revoked_at"
TEMPLATE_COLUMNS = "tenant_id, name, subject, text, html, created_at, updated_at"
CIPHER_COLUMNS = "tenant_id, name, ciphertext, created_at, updated_at, rotated_at"
INTEGRATION_COLUMNS = "tenant_id, code, config, created_at, updated_at"
PROFILE_COLUMNS = (
    "tenant_id, user_id, first_seen, last_seen, event_count, updated_at, revision, attributes"
)
# An update in place where the row exists (INSERT OR REPLACE would delete and reinsert it).
PROFILE_UPSERT = (
    f"INSERT INTO profiles ({PROFILE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?) "
    "ON CONFLICT (tenant_id, user_id) DO UPDATE SET first_seen = excluded.first_seen, "
    "last_seen = excluded.last_seen, event_count = excluded.event_count, "
    "updated_at = excluded.updated_at, revision = excluded.revision, "
    "attributes = excluded.attributes"
)
SEGMENT_COLUMNS = "tenant_id, segment_id, name, description, conditions, created_at, updated_at"
CAMPAIGN_COLUMNS = (
    "c.tenant_id, c.campaign_id, c.name, c.created_at, (SELECT count(*) FROM campaign_members m "
    "WHERE m.tenant_id = c.tenant_id AND m.campaign_id = c.campaign_id)"
)


class Database:
    """The synchronous store, used from one thread only (SQLiteStore's)."""

    def __init__(self, path: Path, profile_max_bytes: int = MAX_BYTES) -> None:
        self._profile_max_bytes = profile_max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # WAL lets the CLI and other processes read and write while the service runs.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._db.executescript(SCHEMA)
        self._add_columns()
        self._db.executescript(ADDED_INDEXES)

    def _add_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self._db.close()

    def ping(self) -> None:
        self._db.execute("SELECT 1")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _one(self, sql: str, *params: Any) -> Any:
        return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, *params: Any) -> list[Any]:
        return self._db.execute(sql, params).fetchall()

    def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO tenants VALUES (?, ?, ?)",
                (tenant_id, name, now().isoformat()),
            )
            created = cursor.rowcount == 1
        tenant = self.get_tenant(tenant_id)
        assert tenant is not None
        return tenant, created

    def get_limits(self, tenant_id: str) -> TenantLimits:
        row = self._one("SELECT doc FROM tenant_limits WHERE tenant_id = ?", tenant_id)
        return TenantLimits() if row is None else TenantLimits.model_validate_json(row[0])

    def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        self._db.execute(
            "INSERT INTO tenant_limits VALUES (?, ?, ?) ON CONFLICT (tenant_id) "
            "DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            (tenant_id, orjson.dumps(limits.canonical()), now().isoformat()),
        )
        return limits

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = self._one("SELECT * FROM tenants WHERE tenant_id = ?", tenant_id)
        return None if row is None else Tenant(row[0], row[1], datetime.fromisoformat(row[2]))

    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (key.key_id, key.tenant_id, key.role.value, key.name, key.prefix, key_hash,
                 key.created_at.isoformat()),
            )  # fmt: skip

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self._one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", key_hash)
        return None if row is None else _api_key(row)

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        rows = self._all(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, key_id",
            tenant_id,
        )
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        with self._transaction() as db:
            db.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                "WHERE tenant_id = ? AND key_id = ?",
                (now().isoformat(), tenant_id, key_id),
            )
        row = self._one(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? AND key_id = ?",
            tenant_id,
            key_id,
        )
        if row is None:
            raise key_not_found(key_id)
        return _api_key(row)

    def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        with self._transaction():
            head = self._head(tenant_id, document.workflow_id)
            if head is not None and not head.archived:
                raise workflow_exists(document.workflow_id)
            if head is None:
                head = new_head(tenant_id, document, now())
                self._db.execute(
                    f"INSERT INTO workflows ({HEAD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    _head_row(head),
                )
            head = replace(head, archived=False)
            return self._save_version(head, document, created_by, publish)

    def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        with self._transaction():
            head = self._head(tenant_id, document.workflow_id)
            if head is None:
                raise workflow_not_found(document.workflow_id)
            return self._save_version(head, document, created_by, publish)

    def _save_version(
        self, head: WorkflowHead, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        at = now()
        version = WorkflowVersion(
            head.tenant_id, head.workflow_id, head.latest_version + 1, document.canonical(), at,
            created_by,
        )  # fmt: skip
        self._db.execute(
            "INSERT INTO workflow_versions VALUES (?, ?, ?, ?, ?, ?)",
            (version.tenant_id, version.workflow_id, version.version,
             orjson.dumps(version.document), at.isoformat(), created_by),
        )  # fmt: skip
        self._db.executemany(
            "INSERT OR IGNORE INTO event_shapes VALUES (?, ?, ?)",
            shape_rows(head.tenant_id, document),
        )
        head = replace(head, latest_version=version.version, updated_at=at)
        if publish:
            head = published(head, version, at)
        self._write_head(head)
        return head, version

    def _head(self, tenant_id: str, workflow_id: str) -> WorkflowHead | None:
        row = self._one(
            f"SELECT {HEAD_COLUMNS} FROM workflows WHERE tenant_id = ? AND workflow_id = ?",
            tenant_id,
            workflow_id,
        )
        return None if row is None else _head(row)

    def _write_head(self, head: WorkflowHead) -> None:
        row = _head_row(head)
        self._db.execute(
            "INSERT INTO revisions VALUES (?, 1) ON CONFLICT (tenant_id) DO UPDATE SET n = n + 1",
            (head.tenant_id,),
        )
        self._db.execute(
            "UPDATE workflows SET name = ?, trigger_type = ?, latest_version = ?, "
            "active_version = ?, enabled = ?, archived = ?, updated_at = ? "
            "WHERE tenant_id = ? AND workflow_id = ?",
            (*row[2:8], row[9], row[0], row[1]),
        )

    def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        head = self._head(tenant_id, workflow_id)
        if head is None:
            raise workflow_not_found(workflow_id)
        return head

    def list_workflows(
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
        return [_head(row) for row in self._all(sql, *params)]

    def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        self.get_workflow(tenant_id, workflow_id)
        rows = self._all(
            "SELECT * FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? "
            "ORDER BY version",
            tenant_id,
            workflow_id,
        )
        return [_version(row) for row in rows]

    def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        row = self._one(
            "SELECT * FROM workflow_versions WHERE tenant_id = ? AND workflow_id = ? "
            "AND version = ?",
            tenant_id,
            workflow_id,
            version,
        )
        if row is None:
            raise version_not_found(workflow_id, version)
        return _version(row)

    def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            head = published(head, self.get_version(tenant_id, workflow_id, version), now())
            self._write_head(head)
        return head

    def set_enabled(self, tenant_id: str, workflow_id: str, enabled: bool) -> WorkflowHead:
        return self._change_head(tenant_id, workflow_id, enabled=enabled)

    def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return self._change_head(tenant_id, workflow_id, archived=True, enabled=False)

    def _change_head(self, tenant_id: str, workflow_id: str, **changes: Any) -> WorkflowHead:
        with self._transaction():
            head = self.get_workflow(tenant_id, workflow_id)
            head = replace(head, **changes, updated_at=now())
            self._write_head(head)
        return head

    def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        rows = self._all(f"{ACTIVE_VERSIONS} AND w.tenant_id = ?", tenant_id)
        return [_version(row) for row in rows]

    def scheduled_versions(self) -> list[WorkflowVersion]:
        rows = self._all(f"{ACTIVE_VERSIONS} AND w.trigger_type = ?", SCHEDULE)
        return [_version(row) for row in rows]

    def workflows_revision(self, tenant_id: str) -> str:
        row = self._one("SELECT n FROM revisions WHERE tenant_id = ?", tenant_id)
        return str(row[0] if row else 0)

    def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        with self._transaction():
            return [self._accept(intake) for intake in intakes]

    def _accept(self, intake: Intake) -> Accepted:
        event = intake.event
        if intake.event_claim is not None:
            owner = self._claim(event.tenant_id, intake.event_claim)
            if owner is not None:
                return duplicate(self.get_event(event.tenant_id, owner))
        runs, skipped = [], {}
        for run in intake.runs:
            reason = self._admit(run, intake)
            if reason is None:
                runs.append(run)
            else:
                skipped[run.workflow_id] = reason
        touch = seen_touch(event)
        if touch is not None:
            with_profile(runs, self._touch(event.tenant_id, touch).profile, touch.at)
        accepted = recorded(intake, runs, skipped)
        self._db.executemany(
            f"INSERT INTO runs ({RUN_COLUMNS}, wait_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*_run_row(run), run.wait_key) for run in runs],
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO run_listeners VALUES (?, ?, ?)",
            [(run.tenant_id, key, run.run_id) for run in runs for key in run.listen_keys],
        )
        self._db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
            (event.tenant_id, event.event_id, event.type, event.received_at.isoformat(),
             orjson.dumps(accepted.event)),
        )  # fmt: skip
        woken, ended = self._react(intake)
        return replace(accepted, woken=woken, ended=ended)

    def _react(self, intake: Intake) -> tuple[list[Run], list[Run]]:
        """Key the event for every shape, keep the keys, tell the runs listening to them and
        answer the waits they name; in the event's transaction, so no wait is registered
        between the two. Returns the runs woken and the runs ended."""
        event = intake.event
        shapes = self._all(
            "SELECT paths FROM event_shapes WHERE tenant_id = ? AND event_type = ?",
            event.tenant_id,
            event.type,
        )
        keys = sorted(event_keys(intake, [orjson.loads(row[0]) for row in shapes]))
        if not keys:
            return [], []
        received = _stamp(event.received_at)
        self._db.executemany(
            "INSERT OR IGNORE INTO event_keys VALUES (?, ?, ?, ?)",
            [(event.tenant_id, key, received, event.event_id) for key in keys],
        )
        ended = self._notify(event, keys)
        rows = self._all(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = ? AND wait_key IN ({_marks(keys)})",
            event.tenant_id,
            *keys,
        )
        woken = [run for run in map(_run, rows) if answer_wait(run, event, keys)]
        for run in woken:
            self._write_run(run)
        return woken, ended

    def _notify(self, event: EventRecord, keys: list[str]) -> list[Run]:
        """Goals and exits of the runs listening to these keys; returns the runs ended."""
        rows = self._all(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = ? AND run_id IN (SELECT run_id "
            f"FROM run_listeners WHERE tenant_id = ? AND key IN ({_marks(keys)}))",
            event.tenant_id,
            event.tenant_id,
            *keys,
        )
        ended = []
        for run in map(_run, rows):
            ons = heard(run, event, keys)
            converted = conversion(run, ons, event)
            if converted is not None:
                self._db.execute(
                    "UPDATE runs SET converted = ? WHERE tenant_id = ? AND run_id = ? "
                    "AND converted IS NULL",
                    (orjson.dumps(converted), run.tenant_id, run.run_id),
                )
            if exit_run(run, ons, event):
                self._write_run(run)
                ended.append(run)
        return ended

    def find_event(
        self, tenant_id: str, key: str, since: datetime, until: datetime | None
    ) -> EventRecord | None:
        sql = "SELECT event_id FROM event_keys WHERE tenant_id = ? AND key = ? AND received_at >= ?"
        params = [tenant_id, key, _stamp(since)]
        if until is not None:
            sql += " AND received_at <= ?"
            params.append(_stamp(until))
        row = self._one(f"{sql} ORDER BY received_at LIMIT 1", *params)
        return None if row is None else self.get_event(tenant_id, row[0])

    def _admit(self, run: Run, intake: Intake) -> str | None:
        """None when the run may start; else why not. Holds its business key if it has one."""
        claim = intake.run_claims.get(run.run_id)
        if claim is not None:
            owner = self._claim_owner(run.tenant_id, claim)
            if owner is not None:
                return held_by(claim, owner)
        cap = intake.caps.get(run.workflow_id)
        if cap is not None:
            cursor = self._db.execute(
                "UPDATE workflows SET executions = executions + 1 "
                "WHERE tenant_id = ? AND workflow_id = ? AND executions < ?",
                (run.tenant_id, run.workflow_id, cap),
            )
            if cursor.rowcount == 0:
                return cap_reached(cap)
        if claim is not None:
            self._claim(run.tenant_id, claim)
        return None

    def _claim_owner(self, tenant_id: str, claim: Claim) -> str | None:
        row = self._one(
            "SELECT owner, expires_at FROM claims WHERE tenant_id = ? AND key = ?",
            tenant_id,
            claim.key,
        )
        if row is None or not claim_is_live(datetime.fromisoformat(row[1]), now()):
            return None
        return str(row[0])

    def _claim(self, tenant_id: str, claim: Claim) -> str | None:
        """Take the key, or return who holds it while it is live."""
        owner = self._claim_owner(tenant_id, claim)
        if owner is not None:
            return owner
        self._db.execute(
            "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
            (tenant_id, claim.key, claim.owner, claim.expires_at.isoformat()),
        )
        return None

    def get_event(self, tenant_id: str, event_id: str) -> EventRecord:
        row = self._one(
            "SELECT doc FROM events WHERE tenant_id = ? AND event_id = ?", tenant_id, event_id
        )
        if row is None:
            raise event_not_found(event_id)
        return _event(orjson.loads(row[0]))

    def add_runs(self, runs: Sequence[Run]) -> None:
        with self._transaction() as db:
            added = [
                run for run in runs
                if db.execute(
                    f"INSERT OR IGNORE INTO runs ({RUN_COLUMNS}, wait_key) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*_run_row(run), run.wait_key),
                ).rowcount
            ]  # fmt: skip
            db.executemany(
                "INSERT OR IGNORE INTO run_listeners VALUES (?, ?, ?)",
                [(run.tenant_id, key, run.run_id) for run in added for key in run.listen_keys],
            )

    def get_run(self, tenant_id: str, run_id: str) -> Run:
        row = self._one(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = ? AND run_id = ?", tenant_id, run_id
        )
        if row is None:
            raise run_not_found(run_id)
        return _run(row)

    def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO steps (tenant_id, run_id, workflow_id, doc) VALUES (?, ?, ?, ?)",
                [(s.tenant_id, s.run_id, s.workflow_id, orjson.dumps(s)) for s in steps],
            )
            return self._write_run(run)

    def _write_run(self, run: Run) -> bool:
        """Write the run if its revision is still the stored one (inside a transaction)."""
        row = _run_row(run)
        cursor = self._db.execute(
            "UPDATE runs SET status = ?, due_at = ?, updated_at = ?, revision = revision + 1, "
            "doc = ?, wait_key = ? WHERE tenant_id = ? AND run_id = ? AND revision = ?",
            (row[4], row[5], row[7], row[9], run.wait_key, run.tenant_id, run.run_id,
             run.revision),
        )  # fmt: skip
        if cursor.rowcount == 0:
            return False
        run.revision += 1
        if run.finished and run.listeners:
            self._db.execute(
                "DELETE FROM run_listeners WHERE tenant_id = ? AND run_id = ?",
                (run.tenant_id, run.run_id),
            )
        return True

    def list_runs(self, tenant_id: str, where: RunFilter, page: Page) -> list[Run]:
        sql = f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = ?"
        params: list[Any] = [tenant_id]
        for column, value in (
            ("workflow_id = ?", where.workflow_id),
            ("status = ?", where.status),
            ("user_id = ?", where.user_id),
            ("created_at >= ?", where.since and where.since.isoformat()),
            ("created_at < ?", where.until and where.until.isoformat()),
            ("run_id < ?", page.after),
        ):
            if value is not None:
                sql += f" AND {column}"
                params.append(value)
        sql += " ORDER BY run_id DESC LIMIT ?"
        return [_run(row) for row in self._all(sql, *params, page.limit)]

    def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]:
        rows = self._all(
            "SELECT doc FROM steps WHERE tenant_id = ? AND run_id = ? ORDER BY seq",
            tenant_id,
            run_id,
        )
        return [_step(orjson.loads(row[0])) for row in rows]

    def workflow_steps(self, tenant_id: str, workflow_id: str, limit: int) -> list[StepRecord]:
        rows = self._all(
            "SELECT doc FROM steps WHERE tenant_id = ? AND workflow_id = ? ORDER BY seq DESC "
            "LIMIT ?",
            tenant_id,
            workflow_id,
            limit,
        )
        return [_step(orjson.loads(row[0])) for row in rows]

    def run_counts(self, tenant_id: str) -> dict[str, dict[RunStatus, int]]:
        rows = self._all(
            f"SELECT workflow_id, status, count(*) FROM runs WHERE tenant_id = ? AND {NOT_BRANCH} "
            "GROUP BY workflow_id, status",
            tenant_id,
        )
        counts: dict[str, dict[RunStatus, int]] = {}
        for workflow_id, status, count in rows:
            counts.setdefault(workflow_id, {})[RunStatus(status)] = count
        return counts

    def run_tallies(
        self, tenant_id: str, period: Period, workflow_id: str | None
    ) -> list[RunTally]:
        sql = (
            "SELECT workflow_id, status, count(*), "
            "total(json_extract(CAST(doc AS TEXT), '$.active_seconds')) FROM runs "
            f"WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND {NOT_BRANCH}"
        )
        params = [tenant_id, period.since.isoformat(), period.until.isoformat()]
        if workflow_id is not None:
            sql += " AND workflow_id = ?"
            params.append(workflow_id)
        rows = self._all(sql + " GROUP BY workflow_id, status", *params)
        return [RunTally(row[0], RunStatus(row[1]), row[2], row[3]) for row in rows]

    def count_events(self, tenant_id: str, period: Period) -> int:
        row = self._one(
            "SELECT count(*) FROM events WHERE tenant_id = ? AND received_at >= ? "
            "AND received_at < ?",
            tenant_id,
            period.since.isoformat(),
            period.until.isoformat(),
        )
        return int(row[0])

    def add_audit(self, entry: AuditEntry) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                (entry.tenant_id, entry.entry_id, entry.at.isoformat(), entry.actor,
                 entry.entity_type, entry.entity_id, orjson.dumps(entry)),
            )  # fmt: skip

    def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        sql = "SELECT doc FROM audit WHERE tenant_id = ?"
        params: list[Any] = [tenant_id]
        for column, value in (
            ("entity_type = ?", where.entity_type),
            ("entity_id = ?", where.entity_id),
            ("actor = ?", where.actor),
            ("at >= ?", where.since and where.since.isoformat()),
            ("entry_id < ?", page.after),
        ):
            if value is not None:
                sql += f" AND {column}"
                params.append(value)
        rows = self._all(sql + " ORDER BY entry_id DESC LIMIT ?", *params, page.limit)
        return [_audit(orjson.loads(row[0])) for row in rows]

    def live_run_counts(self) -> dict[RunStatus, int]:
        rows = self._all(
            "SELECT status, count(*) FROM runs WHERE status IN (?, ?, ?, ?) GROUP BY status",
            *UNFINISHED,
        )
        return {RunStatus(status): count for status, count in rows}

    def purge(self, events_before: datetime, now: datetime) -> int:
        with self._transaction() as db:
            deleted = db.execute(
                "DELETE FROM events WHERE received_at < ?", (events_before.isoformat(),)
            ).rowcount
            db.execute("DELETE FROM claims WHERE expires_at <= ?", (now.isoformat(),))
            db.execute("DELETE FROM event_keys WHERE received_at < ?", (_stamp(events_before),))
        return int(deleted)

    def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        rows = self._all(
            "SELECT tenant_id, run_id FROM runs WHERE status IN (?, ?, ?) AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            *LIVE,
            before.isoformat(),
            limit,
        )
        return [(row[0], row[1]) for row in rows]

    def put_secret(self, tenant_id: str, name: str, ciphertext: str) -> tuple[StoredSecret, bool]:
        at = now().isoformat()
        with self._transaction() as db:
            created = self._secret(tenant_id, name) is None
            db.execute(
                f"INSERT INTO secrets ({CIPHER_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL) "
                "ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, "
                "updated_at = excluded.updated_at",
                (tenant_id, name, ciphertext, at, at),
            )
            stored = self._secret(tenant_id, name)
        assert stored is not None
        return stored, created

    def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        at = now().isoformat()
        with self._transaction() as db:
            db.execute(
                "UPDATE secrets SET ciphertext = ?, updated_at = ?, rotated_at = ? "
                "WHERE tenant_id = ? AND name = ?",
                (ciphertext, at, at, tenant_id, name),
            )
            stored = self._secret(tenant_id, name)
        if stored is None:
            raise secret_not_found(name)
        return stored

    def _secret(self, tenant_id: str, name: str) -> StoredSecret | None:
        row = self._one(
            f"SELECT {CIPHER_COLUMNS} FROM secrets WHERE tenant_id = ? AND name = ?",
            tenant_id,
            name,
        )
        return None if row is None else _secret(row)

    def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        marks = ", ".join("?" * len(names))
        rows = self._all(
            f"SELECT {CIPHER_COLUMNS} FROM secrets WHERE tenant_id = ? AND name IN ({marks}) "
            "ORDER BY name",
            tenant_id,
            *names,
        )
        return [_secret(row) for row in rows]

    def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        sql = f"SELECT {CIPHER_COLUMNS} FROM secrets WHERE tenant_id = ? ORDER BY name"
        return [_secret(row) for row in self._all(sql, tenant_id)]

    def delete_secret(self, tenant_id: str, name: str) -> None:
        with self._transaction() as db:
            deleted = db.execute(
                "DELETE FROM secrets WHERE tenant_id = ? AND name = ?", (tenant_id, name)
            ).rowcount
        if not deleted:
            raise secret_not_found(name)

    def all_secrets(self) -> list[StoredSecret]:
        sql = f"SELECT {CIPHER_COLUMNS} FROM secrets ORDER BY tenant_id, name"
        return [_secret(row) for row in self._all(sql)]

    def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE secrets SET ciphertext = ? "
                "WHERE tenant_id = ? AND name = ? AND ciphertext = ?",
                (new, tenant_id, name, old),
            ).rowcount
        return bool(changed)

    def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        at = now().isoformat()
        with self._transaction() as db:
            created = self.get_integration(tenant_id, code) is None
            db.execute(
                f"INSERT INTO integrations ({INTEGRATION_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, code) DO UPDATE SET config = excluded.config, "
                "updated_at = excluded.updated_at",
                (tenant_id, code, orjson.dumps(config), at, at),
            )
            stored = self.get_integration(tenant_id, code)
        assert stored is not None
        return stored, created

    def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        row = self._one(
            f"SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE tenant_id = ? AND code = ?",
            tenant_id,
            code,
        )
        return None if row is None else _integration(row)

    def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        sql = f"SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE tenant_id = ? ORDER BY code"
        return [_integration(row) for row in self._all(sql, tenant_id)]

    def delete_integration(self, tenant_id: str, code: str) -> None:
        with self._transaction() as db:
            deleted = db.execute(
                "DELETE FROM integrations WHERE tenant_id = ? AND code = ?", (tenant_id, code)
            ).rowcount
        if not deleted:
            raise integration_not_found(code)

    def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        profile = self._profile(tenant_id, user_id)
        if profile is None:
            raise profile_not_found(user_id)
        return profile

    def _profile(self, tenant_id: str, user_id: str) -> Profile | None:
        row = self._one(
            f"SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = ? AND user_id = ?",
            tenant_id,
            user_id,
        )
        return None if row is None else _profile(row)

    def list_profiles(self, tenant_id: str, where: ProfileFilter, page: Page) -> list[Profile]:
        sql = f"SELECT {PROFILE_COLUMNS} FROM profiles WHERE tenant_id = ? AND user_id > ?"
        params: list[Any] = [tenant_id, page.after or ""]
        for column, at in (
            ("last_seen < ?", where.seen_before),
            ("last_seen > ?", where.seen_after),
        ):
            if at is not None:
                sql += f" AND {column}"
                params.append(_instant(at))
        sql += " ORDER BY user_id LIMIT ?"
        return [_profile(row) for row in self._all(sql, *params, page.limit)]

    def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        with self._transaction():
            return self._touch(tenant_id, touch)

    def _touch(self, tenant_id: str, touch: Touch) -> ProfileChange:
        """Inside a transaction: read, merge, write."""
        change = apply(
            tenant_id, self._profile(tenant_id, touch.user_id), touch, self._profile_max_bytes
        )
        self._db.execute(PROFILE_UPSERT, _profile_row(change.profile))
        return change

    def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        at = _instant(now())
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT INTO segments ({SEGMENT_COLUMNS}) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT (tenant_id, segment_id) DO NOTHING",
                (tenant_id, segment_id, definition.name, definition.description,
                 orjson.dumps(definition.conditions), at, at),
            )  # fmt: skip
            created = cursor.rowcount == 1
            if not created:
                db.execute(
                    "UPDATE segments SET name = ?, description = ?, conditions = ?, "
                    "updated_at = ? WHERE tenant_id = ? AND segment_id = ?",
                    (definition.name, definition.description, orjson.dumps(definition.conditions),
                     at, tenant_id, segment_id),
                )  # fmt: skip
        return self.get_segment(tenant_id, segment_id), created

    def get_segment(self, tenant_id: str, segment_id: str) -> Segment:
        row = self._one(
            f"SELECT {SEGMENT_COLUMNS} FROM segments WHERE tenant_id = ? AND segment_id = ?",
            tenant_id,
            segment_id,
        )
        if row is None:
            raise segment_not_found(segment_id)
        return _segment(row)

    def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        rows = self._all(
            f"SELECT {SEGMENT_COLUMNS} FROM segments WHERE tenant_id = ? AND segment_id > ? "
            "ORDER BY segment_id LIMIT ?",
            tenant_id,
            page.after or "",
            page.limit,
        )
        return [_segment(row) for row in rows]

    def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO campaigns VALUES (?, ?, ?, ?)",
                (tenant_id, campaign_id, name or campaign_id, _instant(at)),
            )
            cursor = db.execute(
                "INSERT OR IGNORE INTO campaign_members VALUES (?, ?, ?, ?)",
                (tenant_id, campaign_id, user_id, _instant(at)),
            )
        return bool(cursor.rowcount == 1)

    def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        row = self._one(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.tenant_id = ? "
            "AND c.campaign_id = ?",
            tenant_id,
            campaign_id,
        )
        if row is None:
            raise campaign_not_found(campaign_id)
        return _campaign(row)

    def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        rows = self._all(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.tenant_id = ? "
            "AND c.campaign_id > ? ORDER BY c.campaign_id LIMIT ?",
            tenant_id,
            page.after or "",
            page.limit,
        )
        return [_campaign(row) for row in rows]

    def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        self.get_campaign(tenant_id, campaign_id)
        rows = self._all(
            "SELECT campaign_id, user_id, added_at FROM campaign_members WHERE tenant_id = ? "
            "AND campaign_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
            tenant_id,
            campaign_id,
            page.after or "",
            page.limit,
        )
        return [CampaignMember(row[0], row[1], datetime.fromisoformat(row[2])) for row in rows]

    def create_template(self, template: MessageTemplate) -> MessageTemplate:
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO message_templates ({TEMPLATE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                _template_row(template),
            )
            if cursor.rowcount == 0:
                raise template_exists(template.name)
        return template

    def update_template(self, template: MessageTemplate) -> MessageTemplate:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE message_templates SET subject = ?, text = ?, html = ?, updated_at = ? "
                "WHERE tenant_id = ? AND name = ?",
                (template.subject, template.text, template.html,
                 template.updated_at.isoformat(), template.tenant_id, template.name),
            )  # fmt: skip
            if cursor.rowcount == 0:
                raise template_not_found(template.name)
        return self.get_template(template.tenant_id, template.name)

    def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        row = self._one(
            f"SELECT {TEMPLATE_COLUMNS} FROM message_templates WHERE tenant_id = ? AND name = ?",
            tenant_id,
            name,
        )
        if row is None:
            raise template_not_found(name)
        return _template(row)

    def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        rows = self._all(
            f"SELECT {TEMPLATE_COLUMNS} FROM message_templates WHERE tenant_id = ? AND name > ? "
            "ORDER BY name LIMIT ?",
            tenant_id,
            page.after or "",
            page.limit,
        )
        return [_template(row) for row in rows]

    def delete_template(self, tenant_id: str, name: str) -> None:
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM message_templates WHERE tenant_id = ? AND name = ?", (tenant_id, name)
            )
            if cursor.rowcount == 0:
                raise template_not_found(name)


class SQLiteStore:
    """The async face of ``Database``: each call is one hop to the store's single thread."""

    def __init__(self, database: Database, thread: ThreadPoolExecutor) -> None:
        self._database = database
        self._thread = thread

    @classmethod
    async def open(cls, path: Path, profile_max_bytes: int = MAX_BYTES) -> "SQLiteStore":
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automator-sqlite")
        database = await asyncio.get_running_loop().run_in_executor(
            thread, Database, path, profile_max_bytes
        )
        return cls(database, thread)

    async def _call(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, partial(method, *args, **kwargs))

    async def close(self) -> None:
        await self._call(self._database.close)
        self._thread.shutdown()

    async def ping(self) -> None:
        await self._call(self._database.ping)

    async def ensure_tenant(self, tenant_id: str, name: str) -> tuple[Tenant, bool]:
        return await self._call(self._database.ensure_tenant, tenant_id, name)

    async def get_limits(self, tenant_id: str) -> TenantLimits:
        return await self._call(self._database.get_limits, tenant_id)

    async def set_limits(self, tenant_id: str, limits: TenantLimits) -> TenantLimits:
        return await self._call(self._database.set_limits, tenant_id, limits)

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        return await self._call(self._database.get_tenant, tenant_id)

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._call(self._database.add_api_key, key, key_hash)

    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        return await self._call(self._database.api_key_by_hash, key_hash)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        return await self._call(self._database.list_api_keys, tenant_id)

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> ApiKey:
        return await self._call(self._database.revoke_api_key, tenant_id, key_id)

    async def create_workflow(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        return await self._call(
            self._database.create_workflow, tenant_id, document, created_by, publish
        )

    async def add_version(
        self, tenant_id: str, document: WorkflowDocument, created_by: str | None, publish: bool
    ) -> tuple[WorkflowHead, WorkflowVersion]:
        return await self._call(
            self._database.add_version, tenant_id, document, created_by, publish
        )

    async def get_workflow(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return await self._call(self._database.get_workflow, tenant_id, workflow_id)

    async def list_workflows(
        self, tenant_id: str, where: WorkflowFilter, page: Page
    ) -> list[WorkflowHead]:
        return await self._call(self._database.list_workflows, tenant_id, where, page)

    async def list_versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        return await self._call(self._database.list_versions, tenant_id, workflow_id)

    async def get_version(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowVersion:
        return await self._call(self._database.get_version, tenant_id, workflow_id, version)

    async def publish(self, tenant_id: str, workflow_id: str, version: int) -> WorkflowHead:
        return await self._call(self._database.publish, tenant_id, workflow_id, version)

    async def set_enabled(self, tenant_id: str, workflow_id: str, enabled: bool) -> WorkflowHead:
        return await self._call(self._database.set_enabled, tenant_id, workflow_id, enabled)

    async def archive(self, tenant_id: str, workflow_id: str) -> WorkflowHead:
        return await self._call(self._database.archive, tenant_id, workflow_id)

    async def active_versions(self, tenant_id: str) -> list[WorkflowVersion]:
        return await self._call(self._database.active_versions, tenant_id)

    async def scheduled_versions(self) -> list[WorkflowVersion]:
        return await self._call(self._database.scheduled_versions)

    async def workflows_revision(self, tenant_id: str) -> str:
        return await self._call(self._database.workflows_revision, tenant_id)

    async def accept_event(self, intake: Intake) -> Accepted:
        (accepted,) = await self.accept_events([intake])
        return accepted

    async def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        return await self._call(self._database.accept_events, intakes)

    async def get_event(self, tenant_id: str, event_id: str) -> EventRecord:
        return await self._call(self._database.get_event, tenant_id, event_id)

    async def find_event(
        self, tenant_id: str, key: str, since: datetime, until: datetime | None
    ) -> EventRecord | None:
        return await self._call(self._database.find_event, tenant_id, key, since, until)

    async def get_run(self, tenant_id: str, run_id: str) -> Run:
        return await self._call(self._database.get_run, tenant_id, run_id)

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        return await self._call(self._database.save_run, run, steps)

    async def add_runs(self, runs: Sequence[Run]) -> None:
        await self._call(self._database.add_runs, runs)

    async def list_runs(self, tenant_id: str, where: RunFilter, page: Page) -> list[Run]:
        return await self._call(self._database.list_runs, tenant_id, where, page)

    async def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]:
        return await self._call(self._database.list_steps, tenant_id, run_id)

    async def workflow_steps(
        self, tenant_id: str, workflow_id: str, limit: int
    ) -> list[StepRecord]:
        return await self._call(self._database.workflow_steps, tenant_id, workflow_id, limit)

    async def run_counts(self, tenant_id: str) -> dict[str, dict[RunStatus, int]]:
        return await self._call(self._database.run_counts, tenant_id)

    async def run_tallies(
        self, tenant_id: str, period: Period, workflow_id: str | None
    ) -> list[RunTally]:
        return await self._call(self._database.run_tallies, tenant_id, period, workflow_id)

    async def count_events(self, tenant_id: str, period: Period) -> int:
        return await self._call(self._database.count_events, tenant_id, period)

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._call(self._database.add_audit, entry)

    async def list_audit(self, tenant_id: str, where: AuditFilter, page: Page) -> list[AuditEntry]:
        return await self._call(self._database.list_audit, tenant_id, where, page)

    async def live_run_counts(self) -> dict[RunStatus, int]:
        return await self._call(self._database.live_run_counts)

    async def purge(self, events_before: datetime, now: datetime) -> int:
        return await self._call(self._database.purge, events_before, now)

    async def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        return await self._call(self._database.due_runs, before, limit)

    async def put_secret(
        self, tenant_id: str, name: str, ciphertext: str
    ) -> tuple[StoredSecret, bool]:
        return await self._call(self._database.put_secret, tenant_id, name, ciphertext)

    async def rotate_secret(self, tenant_id: str, name: str, ciphertext: str) -> StoredSecret:
        return await self._call(self._database.rotate_secret, tenant_id, name, ciphertext)

    async def get_secrets(self, tenant_id: str, names: Sequence[str]) -> list[StoredSecret]:
        return await self._call(self._database.get_secrets, tenant_id, names)

    async def list_secrets(self, tenant_id: str) -> list[StoredSecret]:
        return await self._call(self._database.list_secrets, tenant_id)

    async def delete_secret(self, tenant_id: str, name: str) -> None:
        await self._call(self._database.delete_secret, tenant_id, name)

    async def all_secrets(self) -> list[StoredSecret]:
        return await self._call(self._database.all_secrets)

    async def replace_ciphertext(self, tenant_id: str, name: str, old: str, new: str) -> bool:
        return await self._call(self._database.replace_ciphertext, tenant_id, name, old, new)

    async def put_integration(
        self, tenant_id: str, code: str, config: dict[str, Any]
    ) -> tuple[IntegrationConfig, bool]:
        return await self._call(self._database.put_integration, tenant_id, code, config)

    async def get_integration(self, tenant_id: str, code: str) -> IntegrationConfig | None:
        return await self._call(self._database.get_integration, tenant_id, code)

    async def list_integrations(self, tenant_id: str) -> list[IntegrationConfig]:
        return await self._call(self._database.list_integrations, tenant_id)

    async def delete_integration(self, tenant_id: str, code: str) -> None:
        await self._call(self._database.delete_integration, tenant_id, code)

    async def get_profile(self, tenant_id: str, user_id: str) -> Profile:
        return await self._call(self._database.get_profile, tenant_id, user_id)

    async def list_profiles(
        self, tenant_id: str, where: ProfileFilter, page: Page
    ) -> list[Profile]:
        return await self._call(self._database.list_profiles, tenant_id, where, page)

    async def update_profile(self, tenant_id: str, touch: Touch) -> ProfileChange:
        return await self._call(self._database.update_profile, tenant_id, touch)

    async def save_segment(
        self, tenant_id: str, segment_id: str, definition: SegmentDefinition
    ) -> tuple[Segment, bool]:
        return await self._call(self._database.save_segment, tenant_id, segment_id, definition)

    async def get_segment(self, tenant_id: str, segment_id: str) -> Segment:
        return await self._call(self._database.get_segment, tenant_id, segment_id)

    async def list_segments(self, tenant_id: str, page: Page) -> list[Segment]:
        return await self._call(self._database.list_segments, tenant_id, page)

    async def add_to_campaign(
        self, tenant_id: str, campaign_id: str, user_id: str, at: datetime, name: str | None
    ) -> bool:
        return await self._call(
            self._database.add_to_campaign, tenant_id, campaign_id, user_id, at, name
        )

    async def get_campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        return await self._call(self._database.get_campaign, tenant_id, campaign_id)

    async def list_campaigns(self, tenant_id: str, page: Page) -> list[Campaign]:
        return await self._call(self._database.list_campaigns, tenant_id, page)

    async def campaign_members(
        self, tenant_id: str, campaign_id: str, page: Page
    ) -> list[CampaignMember]:
        return await self._call(self._database.campaign_members, tenant_id, campaign_id, page)

    async def create_template(self, template: MessageTemplate) -> MessageTemplate:
        return await self._call(self._database.create_template, template)

    async def update_template(self, template: MessageTemplate) -> MessageTemplate:
        return await self._call(self._database.update_template, template)

    async def get_template(self, tenant_id: str, name: str) -> MessageTemplate:
        return await self._call(self._database.get_template, tenant_id, name)

    async def list_templates(self, tenant_id: str, page: Page) -> list[MessageTemplate]:
        return await self._call(self._database.list_templates, tenant_id, page)

    async def delete_template(self, tenant_id: str, name: str) -> None:
        await self._call(self._database.delete_template, tenant_id, name)


def _stamp(at: datetime) -> str:
    """A UTC time as text of fixed width, so that text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _run_row(run: Run) -> tuple[Any, ...]:
    state = {name: getattr(run, name) for name in RUN_STATE}
    return (
        run.tenant_id, run.run_id, run.workflow_id, run.user_id, run.status.value,
        run.due_at.isoformat() if run.due_at else None, run.created_at.isoformat(),
        run.updated_at.isoformat(), run.revision, orjson.dumps(state),
        None if run.converted is None else orjson.dumps(run.converted),
    )  # fmt: skip


def _run(row: Any) -> Run:
    return Run(
        tenant_id=row[0],
        run_id=row[1],
        workflow_id=row[2],
        user_id=row[3],
        status=RunStatus(row[4]),
        due_at=None if row[5] is None else datetime.fromisoformat(row[5]),
        created_at=datetime.fromisoformat(row[6]),
        updated_at=datetime.fromisoformat(row[7]),
        revision=row[8],
        converted=None if row[10] is None else orjson.loads(row[10]),
        **orjson.loads(row[9]),
    )


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _event(doc: dict[str, Any]) -> EventRecord:
    times = {k: datetime.fromisoformat(doc[k]) for k in ("timestamp", "received_at")}
    return EventRecord(**(doc | times))


def _step(doc: dict[str, Any]) -> StepRecord:
    times = {k: datetime.fromisoformat(doc[k]) for k in ("started_at", "finished_at")}
    return StepRecord(**(doc | times | {"status": StepStatus(doc["status"])}))


def _audit(doc: dict[str, Any]) -> AuditEntry:
    return AuditEntry(**(doc | {"at": datetime.fromisoformat(doc["at"])}))


def _api_key(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row[0],
        tenant_id=row[1],
        role=Role(row[2]),
        name=row[3],
        prefix=row[4],
        created_at=datetime.fromisoformat(row[5]),
        revoked_at=None if row[6] is None else datetime.fromisoformat(row[6]),
    )


def _secret(row: Any) -> StoredSecret:
    return StoredSecret(
        tenant_id=row[0],
        name=row[1],
        ciphertext=row[2],
        created_at=datetime.fromisoformat(row[3]),
        updated_at=datetime.fromisoformat(row[4]),
        rotated_at=None if row[5] is None else datetime.fromisoformat(row[5]),
    )


def _integration(row: Any) -> IntegrationConfig:
    return IntegrationConfig(
        tenant_id=row[0],
        code=row[1],
        config=orjson.loads(row[2]),
        created_at=datetime.fromisoformat(row[3]),
        updated_at=datetime.fromisoformat(row[4]),
    )


def _head(row: Any) -> WorkflowHead:
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


def _version(row: Any) -> WorkflowVersion:
    return WorkflowVersion(
        tenant_id=row[0],
        workflow_id=row[1],
        version=row[2],
        document=orjson.loads(row[3]),
        created_at=datetime.fromisoformat(row[4]),
        created_by=row[5],
    )


def _instant(at: datetime) -> str:
    """UTC text of one fixed width, so that text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _profile_row(profile: Profile) -> tuple[Any, ...]:
    return (
        profile.tenant_id, profile.user_id, _instant(profile.first_seen),
        _instant(profile.last_seen), profile.event_count, _instant(profile.updated_at),
        profile.revision, orjson.dumps(profile.attributes),
    )  # fmt: skip


def _profile(row: Any) -> Profile:
    return Profile(
        tenant_id=row[0],
        user_id=row[1],
        first_seen=datetime.fromisoformat(row[2]),
        last_seen=datetime.fromisoformat(row[3]),
        event_count=row[4],
        updated_at=datetime.fromisoformat(row[5]),
        revision=row[6],
        attributes=orjson.loads(row[7]),
    )


def _segment(row: Any) -> Segment:
    return Segment(
        tenant_id=row[0],
        segment_id=row[1],
        name=row[2],
        description=row[3],
        conditions=orjson.loads(row[4]),
        created_at=datetime.fromisoformat(row[5]),
        updated_at=datetime.fromisoformat(row[6]),
    )


def _campaign(row: Any) -> Campaign:
    return Campaign(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4])


def _template_row(template: MessageTemplate) -> tuple[Any, ...]:
    return (
        template.tenant_id, template.name, template.subject, template.text, template.html,
        template.created_at.isoformat(), template.updated_at.isoformat(),
    )  # fmt: skip


def _template(row: Any) -> MessageTemplate:
    return MessageTemplate(
        tenant_id=row[0],
        name=row[1],
        subject=row[2],
        text=row[3],
        html=row[4],
        created_at=datetime.fromisoformat(row[5]),
        updated_at=datetime.fromisoformat(row[6]),
    )
