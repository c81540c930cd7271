"""Retention on SQLite: each tenant's own days, and the job's deletes, a bounded batch per
transaction so an event waits for one batch at most."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import orjson

from app.models.retention import Kept, Retention
from app.store.rules import FINISHED_VALUES
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import marks, stamp

# Each kind's table and the column its age is read from.
AGED = {Kept.EVENTS: ("events", "received_at"), Kept.RUNS: ("runs", "updated_at"),
        Kept.OUTBOX: ("outbox", "created_at"), Kept.AUDIT: ("audit", "at")}  # fmt: skip
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
        self, kind: Kept, before: datetime, limit: int, tenant_id: str | None,
        skip: Sequence[str] = (),
    ) -> int:  # fmt: skip
        table, column = AGED[kind]
        sql = f"SELECT tenant_id, {_key(kind)} FROM {table} WHERE {column} < ?"
        params: list[object] = [before.isoformat()]
        if tenant_id is not None:
            sql, params = f"{sql} AND tenant_id = ?", [*params, tenant_id]
        if skip:
            sql, params = f"{sql} AND tenant_id NOT IN ({marks(skip)})", [*params, *skip]
        if kind == Kept.RUNS:
            sql, params = (
                f"{sql} AND status IN ({marks(FINISHED_VALUES)})",
                [*params, *FINISHED_VALUES],
            )
        with self._transaction() as db:
            found = db.execute(f"{sql} LIMIT ?", (*params, limit)).fetchall()
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


def _key(kind: Kept) -> str:
    return {Kept.EVENTS: "event_id", Kept.RUNS: "run_id", Kept.OUTBOX: "message_id",
            Kept.AUDIT: "entry_id"}[kind]  # fmt: skip
