"""Erasing a person on SQLite: one transaction over every table that holds their data, then
the WAL checkpointed and truncated so no earlier copy of a page stays in a file.

Deleted and overwritten content is zeroed as it is freed (``secure_delete``, set when the
file is opened), so the person's data is gone from the database file too, not only from
its tables. (A file written before secure_delete was set may keep old fragments in free
space until ``VACUUM``: docs/operations.md.)
"""

import orjson

from app.models.profile import Erased
from app.store.rules import erase_run, erased_event
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import EVENTS, RUN_COLUMNS, RUNS, marks, run_row

NULL_STEP_DATA = (
    "json_set(CAST(doc AS TEXT), '$.input', json('null'), '$.output', json('null'), "
    "'$.error', json('null'))"
)


class Erasure(Connection):
    def erase_user(self, tenant_id: str, user_id: str) -> Erased:
        with self._transaction() as db:
            profiles = db.execute(
                "DELETE FROM profiles WHERE tenant_id = ? AND user_id = ?", (tenant_id, user_id)
            ).rowcount
            memberships = db.execute(
                "DELETE FROM campaign_members WHERE tenant_id = ? AND user_id = ?",
                (tenant_id, user_id),
            ).rowcount
            events = self._erase_events(tenant_id, user_id)
            run_ids = self._erase_runs(tenant_id, user_id)
            steps = outbox = 0
            if run_ids:
                where = f"tenant_id = ? AND run_id IN ({marks(run_ids)})"
                steps = db.execute(
                    f"UPDATE steps SET doc = {NULL_STEP_DATA} WHERE {where}", (tenant_id, *run_ids)
                ).rowcount
                outbox = db.execute(
                    f"DELETE FROM outbox WHERE {where}", (tenant_id, *run_ids)
                ).rowcount
        # Copy every page into the file and empty the WAL, which held the pages' old images.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Erased(profiles, memberships, events, len(run_ids), steps, outbox)

    def _erase_events(self, tenant_id: str, user_id: str) -> int:
        found = self._select(EVENTS, [("tenant_id = ?", tenant_id), ("user_id = ?", user_id)])
        for event in found:
            self._db.execute(
                "UPDATE events SET doc = ?, user_id = NULL, idempotency_key = NULL "
                "WHERE tenant_id = ? AND event_id = ?",
                (orjson.dumps(erased_event(event)), tenant_id, event.event_id),
            )
            self._db.execute(
                "DELETE FROM event_keys WHERE tenant_id = ? AND event_id = ?",
                (tenant_id, event.event_id),
            )
        return len(found)

    def _erase_runs(self, tenant_id: str, user_id: str) -> list[str]:
        rows = self._all(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE tenant_id = ? AND user_id = ?",
            tenant_id,
            user_id,
        )
        runs = [RUNS.read(row) for row in rows]
        for run in runs:
            erase_run(run)
            row = run_row(run)
            # The revision moves on, so a walker holding the run cannot write its old state back.
            self._db.execute(
                "UPDATE runs SET user_id = NULL, doc = ?, wait_key = NULL, "
                "revision = revision + 1 WHERE tenant_id = ? AND run_id = ?",
                (row[9], tenant_id, run.run_id),
            )
            self._db.execute(
                "DELETE FROM run_listeners WHERE tenant_id = ? AND run_id = ?",
                (tenant_id, run.run_id),
            )
        return [run.run_id for run in runs]
