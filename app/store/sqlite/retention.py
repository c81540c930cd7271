"""Retention on SQLite: each tenant's own days, and the job's deletes, a bounded batch per
transaction so an event waits for one batch at most."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import orjson

from app.models.retention import Kept, Retention
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import marks, stamp
from app.store.sqlite.runs import NOT_BRANCH
from app.store.sqlite.schema import ENDED

# Each kind's table and the column its age is read from.
AGED = {
    Kept.EVENTS: ("events", "received_at"),
    Kept.RUNS: ("runs", "updated_at"),
    Kept.OUTBOX: ("outbox", "created_at"),
    Kept.AUDIT: ("audit", "at"),
}
KEPT_COUNTS = {
    Kept.RUNS: "INSERT INTO kept_runs SELECT tenant_id, substr(created_at, 1, 10), workflow_id, "
    "status, count(*), total(json_extract(CAST(doc AS TEXT), '$.active_seconds')) FROM runs "
    f"WHERE tenant_id = ? AND run_id IN ({{marks}}) AND {NOT_BRANCH} GROUP BY 1, 2, 3, 4 "
    "ON CONFLICT DO UPDATE SET count = count + excluded.count, "
    "seconds = seconds + excluded.seconds",
    Kept.EVENTS: "INSERT INTO kept_events SELECT tenant_id, substr(received_at, 1, 10), "
    "count(*) FROM events WHERE tenant_id = ? AND event_id IN ({marks}) GROUP BY 1, 2 "
    "ON CONFLICT DO UPDATE SET count = count + excluded.count",
}
# What goes with each purged run.
DEPENDENTS = {Kept.RUNS: ("steps", "run_listeners")}


class Retentions(Connection):
    def get_retention(self, tenant_id: str) -> Retention | None:
        row = self._one("SELECT doc FROM retention WHERE tenant_id = ?", tenant_id)
        return None if row is None else Retention(**orjson.loads(row[0]))

    def set_retention(self, tenant_id: str, retention: Retention) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO retention VALUES (?, ?) ON CONFLICT (tenant_id) "
                "DO UPDATE SET doc = excluded.doc",
                (tenant_id, orjson.dumps(asdict(retention))),
            )

    def retentions(self) -> dict[str, Retention]:
        rows = self._all("SELECT tenant_id, doc FROM retention")
        return {row[0]: Retention(**orjson.loads(row[1])) for row in rows}

    def purge_batch(
        self,
        kind: Kept,
        before: datetime,
        limit: int,
        tenant_id: str | None,
        skip: Sequence[str] = (),
    ) -> int:
        table, column = AGED[kind]
        sql = f"SELECT tenant_id, {_key(kind)} FROM {table} WHERE {column} < ?"
        params: list[object] = [before.isoformat()]
        if tenant_id is not None:
            sql, params = f"{sql} AND tenant_id = ?", [*params, tenant_id]
        if skip:
            sql, params = f"{sql} AND tenant_id NOT IN ({marks(skip)})", [*params, *skip]
        if kind == Kept.RUNS:
            sql = f"{sql} AND ({ENDED})"
        with self._transaction() as db:
            found = db.execute(f"{sql} LIMIT ?", (*params, limit)).fetchall()
            self._keep_counts(kind, found)
            tables = [table, *DEPENDENTS.get(kind, ())]
            for tenant, key in found:
                for name in tables:
                    db.execute(
                        f"DELETE FROM {name} WHERE tenant_id = ? AND {_key(kind)} = ?",
                        (tenant, key),
                    )
            if kind == Kept.EVENTS:
                for tenant in {tenant for tenant, _ in found}:
                    db.execute(
                        "DELETE FROM event_keys WHERE tenant_id = ? AND received_at < ?",
                        (tenant, stamp(before)),
                    )
        return len(found)

    def _keep_counts(self, kind: Kept, found: Sequence[tuple[str, str]]) -> None:
        """Count the runs and events about to go, by UTC day, so /api/stats still counts
        them (parallel branches are part of their parent's run: not counted)."""
        if kind not in KEPT_COUNTS:
            return
        by_tenant: dict[str, list[str]] = {}
        for tenant, key in found:
            by_tenant.setdefault(tenant, []).append(key)
        for tenant, keys in by_tenant.items():
            self._db.execute(KEPT_COUNTS[kind].format(marks=marks(keys)), (tenant, *keys))


def _key(kind: Kept) -> str:
    return {
        Kept.EVENTS: "event_id",
        Kept.RUNS: "run_id",
        Kept.OUTBOX: "message_id",
        Kept.AUDIT: "entry_id",
    }[kind]
