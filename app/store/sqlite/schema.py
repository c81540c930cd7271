"""The SQLite file's tables, and opening a file created by this or an earlier version."""

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from app import sqlite_file
from app.datadir import private_file

# The runs that ended (``rules.FINISHED_VALUES``, written out: this module is loaded alone
# by processes racing to open a file), as the partial index ``runs_ended`` is written:
# SQLite answers a query from that index only if the query holds this very condition, or
# one of its statuses alone. An OR of equalities, not an IN: SQLite evaluates the condition
# on every row a statement writes, and an IN of three values builds a table to do it.
ENDED = "status = 'completed' OR status = 'failed' OR status = 'cancelled'"

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
CREATE TABLE IF NOT EXISTS tenant_settings (
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
CREATE TABLE IF NOT EXISTS outbox (
    tenant_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT,
    text TEXT,
    html TEXT,
    idempotency_key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, message_id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS outbox_run ON outbox (tenant_id, run_id);
CREATE TABLE IF NOT EXISTS ai_usage (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost REAL NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ai_usage_at ON ai_usage (tenant_id, at);
CREATE INDEX IF NOT EXISTS ai_usage_run ON ai_usage (tenant_id, run_id);
CREATE TABLE IF NOT EXISTS kept_runs (
    tenant_id TEXT NOT NULL,
    day TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    status TEXT NOT NULL,
    count INTEGER NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (tenant_id, day, workflow_id, status)
);
CREATE TABLE IF NOT EXISTS kept_events (
    tenant_id TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
CREATE TABLE IF NOT EXISTS retention (
    tenant_id TEXT PRIMARY KEY,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created_at);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS hooks (
    hook_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS hooks_tenant ON hooks (tenant_id, hook_id);
CREATE TABLE IF NOT EXISTS alert_rules (
    tenant_id TEXT PRIMARY KEY,
    doc BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE TABLE IF NOT EXISTS bulk_jobs (
    tenant_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    cursor TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tenant_id, job_id)
);
"""
# Columns added to tables of files created by earlier versions, then the indexes on them.
ADDED_COLUMNS = {
    "runs": (("wait_key", "TEXT"), ("converted", "BLOB")),
    "events": (("user_id", "TEXT"), ("idempotency_key", "TEXT")),
    "workflows": (
        ("scheduled", "INTEGER NOT NULL DEFAULT 0"),
        ("tags", "TEXT NOT NULL DEFAULT '[]'"),
        ("pending_version", "INTEGER"),
        ("pending_by", "TEXT"),
        ("pending_at", "TEXT"),
    ),
    "api_keys": (
        ("workflows", "TEXT"),
        ("tags", "TEXT"),
        ("last_used_at", "TEXT"),
        ("expires_at", "TEXT"),
    ),
}
# Indexes made, or remade under their name, where a file lacks them as they are listed here
# (their columns changed since earlier versions): a process still running an earlier version
# finds each under its name throughout (``INDEXED BY``), as it was or as it is now.
# ``runs_created`` took ``run_id``: a listing by time, newest first, walks it in its own order
# and stops at its page's last run instead of reading and sorting every run in its range.
REMADE_INDEXES = {"runs_created": ("runs", ("tenant_id", "created_at", "run_id"))}
# How a column added to an existing file is filled from the rows' documents.
BACKFILLS = {
    ("events", "user_id"): "CAST(json_extract(CAST(doc AS TEXT), '$.user.id') AS TEXT)",
    ("events", "idempotency_key"): "json_extract(CAST(doc AS TEXT), '$.idempotency_key')",
}
# ``runs_ended`` holds only ended runs (retention's purge and the failed runs' sweep read no
# others), so the saves of a run still walking, each moving its ``updated_at``, write no entry
# there; it replaces ``runs_updated``, an index of every run's ``updated_at``.
ADDED_INDEXES = f"""
DROP INDEX IF EXISTS runs_updated;
CREATE INDEX IF NOT EXISTS runs_ended ON runs (status, updated_at) WHERE {ENDED};
CREATE INDEX IF NOT EXISTS runs_wait ON runs (tenant_id, wait_key) WHERE wait_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_type ON events (tenant_id, type, event_id);
CREATE INDEX IF NOT EXISTS events_user ON events (tenant_id, user_id, event_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_idempotency ON events (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
"""
BUSY_TIMEOUT_MS = 30_000
# Rows of each index ANALYZE samples: SQLite's own bound for PRAGMA optimize since 3.46.
# Older libraries read every row unless told (124 ms for 100,000 events, 14 ms with it).
ANALYSIS_LIMIT = 400
# A new file is in rollback-journal mode until the switch to WAL, which wants the file's
# exclusive lock: two processes switching at once can deadlock, and SQLite then answers
# "database is locked" at once instead of waiting. Another's schema change may also land
# while a statement of ours runs ("database schema has changed", seen once in eight
# processes creating a new file). Opening is idempotent, so both are retried.
OPEN_ATTEMPTS = 8
RETRIED = ("locked", "schema has changed")
# The oldest SQLite the statements run on: an upsert whose conflict target is left out
# (retention's counts) came in 3.35. An older library would fail only when that statement
# first runs, days after start-up, so opening the file refuses at once.
MIN_SQLITE = (3, 35, 0)


def connect(path: Path, keys: Sequence[str] = ()) -> sqlite3.Connection:
    """The file opened in WAL mode with every table and index in place, encrypted with
    SQLCipher when there are ``keys`` (``app.sqlite_file``). It is created 0600 in a 0700
    directory; SQLite gives its WAL and shared-memory files the database's mode.
    Safe when several processes open one file at once (``automator api`` and workers
    starting together): each waits for the others' locks, and each change to the schema is
    made once."""
    driver = sqlite_file.driver(keys)
    _check_version(driver.sqlite_version_info)
    _bound_as_they_are(driver)
    private_file(path)
    for attempt in range(OPEN_ATTEMPTS - 1):
        try:
            return _open(path, keys)
        except sqlite_file.operational_errors() as exc:
            if not any(cause in str(exc) for cause in RETRIED):
                raise
        time.sleep(min(0.05 * 2**attempt, 1.0))
    return _open(path, keys)


def _bound_as_they_are(driver: ModuleType) -> None:
    """Bind bytes (documents) and None as they are, through adapters that return them.
    Without one, Python 3.11's sqlite3 (and SQLCipher's copy of it) adapts every value that
    is not exactly a str, int, float or bytearray: it asks its protocol for ``__adapt__``
    and builds and drops an AttributeError each time, 1,700 instructions a value (an event
    binds three such values, its run's row three more, each save of a run as many).
    Process-wide, and the same each time it is registered."""
    driver.register_adapter(bytes, bytes)
    driver.register_adapter(type(None), _same)


def _same(value: None) -> None:
    return value


def _check_version(version: tuple[int, int, int]) -> None:
    if version < MIN_SQLITE:
        raise sqlite3.NotSupportedError(
            f"Automator needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python "
            f"links SQLite {'.'.join(map(str, version))}. Use a Python built with a newer "
            "SQLite (Python 3.11 from python.org or Debian 12 has 3.40), or set "
            "AUTOMATOR_MONGODB_URL to keep the store in MongoDB."
        )


def _open(path: Path, keys: Sequence[str]) -> sqlite3.Connection:
    # The busy timeout is set as the connection opens: the switch to WAL below takes the
    # file's lock, which another process opening it at the same time may hold.
    db = sqlite_file.connect(
        path, keys, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        _prepare(db)
    except BaseException:
        db.close()
        raise
    return db


def _prepare(db: sqlite3.Connection) -> None:
    # WAL lets the CLI and other processes read and write while the service runs.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # Freed content is zeroed, so an erased person's data (DELETE /api/profiles/{id}), and
    # every older version of a row rewritten since, is gone from the file, not only the table.
    db.execute("PRAGMA secure_delete=ON")
    db.executescript(SCHEMA)
    _upgrade(db)
    db.executescript(ADDED_INDEXES)
    # The planner's statistics, as SQLite's docs ask of a long-lived connection as it opens
    # and after a schema change. Without them it reads every one of a tenant's events for a
    # DISTINCT over their types that skips from type to type once it knows there are few
    # (bench/README.md). Libraries before 3.46 take the mask's 2 alone: they analyze here
    # nothing yet, and the tables this connection queries when it optimizes again.
    db.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    db.execute("PRAGMA optimize=0x10002")


def variable_limit(db: sqlite3.Connection) -> int:
    """How many values one statement may bind (32,766 since SQLite 3.32 unless a build sets
    another: 250,000 in Debian's and in SQLCipher's wheels). sqlcipher3's connection has no
    ``getlimit``: its bound is read from ``PRAGMA compile_options``."""
    if isinstance(db, sqlite3.Connection):
        return db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for (option,) in db.execute("PRAGMA compile_options"):
        name, _, value = option.partition("=")
        if name == "MAX_VARIABLE_NUMBER":
            return int(value)
    return 999  # the least any SQLite allows


def _upgrade(db: sqlite3.Connection) -> None:
    """Add and fill the columns an older file lacks, and remake the indexes it has in
    another form. One process at a time looks and changes (the write lock is taken first),
    so each is changed once; an index is dropped and made again in one transaction, so no
    other connection sees it missing."""
    db.execute("BEGIN IMMEDIATE")
    try:
        _add_missing(db)
        _remake_indexes(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _add_missing(db: sqlite3.Connection) -> None:
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns:
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                backfill = BACKFILLS.get((table, name))
                if backfill is not None:
                    db.execute(f"UPDATE {table} SET {name} = {backfill}")


def _remake_indexes(db: sqlite3.Connection) -> None:
    for name, (table, columns) in REMADE_INDEXES.items():
        present = tuple(row[2] for row in db.execute(f"PRAGMA index_info({name})"))
        if present != columns:
            db.execute(f"DROP INDEX IF EXISTS {name}")
            db.execute(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
