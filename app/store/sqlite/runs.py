"""Runs and their step records on SQLite."""

from collections.abc import Sequence
from datetime import datetime
from functools import partial

import orjson

from app.models.run import ArmedRun, Run, RunFilter, RunStatus, StepRecord
from app.models.stats import Period, RunTally, VariantTally
from app.models.workflow import Page
from app.store.errors import cursor_run_gone, run_not_found
from app.store.rules import (
    LIVE,
    TIMED,
    UNFINISHED,
    armed_run,
    kept_days,
    kept_tally,
    with_kept,
)
from app.store.sqlite.connection import Connection, Filter, Outcome
from app.store.sqlite.rows import RUN_COLUMNS, RUNS, STEPS, run_changes, run_row

# A run to save and the step records to add with it (``save_run``'s arguments).
Save = tuple[Run, Sequence[StepRecord]]
# Parallel branches are parts of their parent's run: the run counts leave them out.
NOT_BRANCH = "json_extract(CAST(doc AS TEXT), '$.parent.branch') IS NULL"
# A run whose history moved it to failed: retried since, it failed all the same.
FAILED_BEFORE = (
    "EXISTS (SELECT 1 FROM json_each(CAST(doc AS TEXT), '$.history') "
    "WHERE json_extract(value, '$.to') = 'failed')"
)


class Runs(Connection):
    def add_runs(self, runs: Sequence[Run]) -> None:
        with self._transaction() as db:
            added = [
                run
                for run in runs
                if db.execute(
                    f"INSERT OR IGNORE INTO runs ({RUN_COLUMNS}, wait_key) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*run_row(run), run.wait_key),
                ).rowcount
            ]
            db.executemany(
                "INSERT OR IGNORE INTO run_listeners VALUES (?, ?, ?)",
                [(run.tenant_id, key, run.run_id) for run in added for key in run.listen_keys],
            )

    def get_run(self, tenant_id: str, run_id: str) -> Run:
        return self._get_one(
            RUNS, partial(run_not_found, run_id), tenant_id=tenant_id, run_id=run_id
        )

    def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        (saved,) = self._save_all([(run, steps)])
        return saved

    def save_each(self, saves: Sequence[Save]) -> list[Outcome]:
        """What ``save_run`` gives each save, as if made one after the other, but in one
        pass while none fails: the steps of all in one insert and one savepoint for all
        (concurrent runs' checkpoints, a worker's hot path)."""
        return self._in_one_pass(saves, self._save_all, lambda save: self.save_run(*save))

    def _save_all(self, saves: Sequence[Save]) -> list[bool]:
        """Each save's steps added and its run written if its revision is still the stored
        one; undone whole if one fails, each run then left at the revision it came with."""
        revisions = [run.revision for run, _ in saves]
        try:
            with self._transaction():
                self._write_rows(
                    "INSERT INTO steps (tenant_id, run_id, workflow_id, doc)",
                    [
                        (step.tenant_id, step.run_id, step.workflow_id, orjson.dumps(step))
                        for _, steps in saves
                        for step in steps
                    ],
                )
                return [self._write_run(run) for run, _ in saves]
        except BaseException:
            for (run, _), revision in zip(saves, revisions, strict=True):
                run.revision = revision
            raise

    def _write_run(self, run: Run) -> bool:
        """Write the run if its revision is still the stored one (inside a transaction)."""
        cursor = self._db.execute(
            "UPDATE runs SET status = ?, due_at = ?, updated_at = ?, revision = revision + 1, "
            "doc = ?, wait_key = ? WHERE tenant_id = ? AND run_id = ? AND revision = ?",
            (*run_changes(run), run.wait_key, run.tenant_id, run.run_id, run.revision),
        )
        if cursor.rowcount == 0:
            return False
        run.revision += 1
        if run.finished and run.listeners:
            self._db.execute(
                "DELETE FROM run_listeners WHERE tenant_id = ? AND run_id = ?",
                (run.tenant_id, run.run_id),
            )
        return True

    def list_runs(
        self, tenant_id: str, where: RunFilter, page: Page, *, by_id: bool = False
    ) -> list[Run]:
        filters = _filters(tenant_id, where)
        if by_id or not where.by_time:
            return self._page(
                RUNS, page, "run_id", *filters, newest_first=True, index=_index(where)
            )
        # The index's own order, walked backwards: the LIMIT ends the walk at the page's last
        # run (1,512 VM steps for a page where reading and sorting the range took 1,980,916).
        before = ("(created_at, run_id) < (?, ?)", self._position(tenant_id, page.after))
        order = "created_at DESC, run_id DESC"
        return self._select(RUNS, [*filters, before], order, page.limit, index="runs_created")

    def _position(self, tenant_id: str, run_id: str | None) -> tuple[str, str] | None:
        """Where the run ``run_id`` stands in a listing by time: its creation time (as
        stored) and its id; None for no run (the listing's first page)."""
        if run_id is None:
            return None
        found = self._one(
            "SELECT created_at FROM runs WHERE tenant_id = ? AND run_id = ?", tenant_id, run_id
        )
        if found is None:
            raise cursor_run_gone(run_id)
        return found[0], run_id

    def count_runs(self, tenant_id: str, where: RunFilter) -> int:
        return self._count("runs", _filters(tenant_id, where), index=_index(where))

    def list_steps(self, tenant_id: str, run_id: str) -> list[StepRecord]:
        return self._select(STEPS, [("tenant_id = ?", tenant_id), ("run_id = ?", run_id)], "seq")

    def workflow_steps(self, tenant_id: str, workflow_id: str, limit: int) -> list[StepRecord]:
        filters = [("tenant_id = ?", tenant_id), ("workflow_id = ?", workflow_id)]
        return self._select(STEPS, filters, "seq DESC", limit)

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
            "total(json_extract(CAST(doc AS TEXT), '$.active_seconds')), "
            f"total(status = 'failed' OR {FAILED_BEFORE}) FROM runs "
            f"WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND {NOT_BRANCH}"
        )
        params = [tenant_id, period.since.isoformat(), period.until.isoformat()]
        if workflow_id is not None:
            sql += " AND workflow_id = ?"
            params.append(workflow_id)
        rows = self._all(sql + " GROUP BY workflow_id, status", *params)
        live = [RunTally(row[0], RunStatus(row[1]), row[2], row[3], int(row[4])) for row in rows]
        return with_kept(live, self._kept_tallies(tenant_id, period, workflow_id))

    def _kept_tallies(
        self, tenant_id: str, period: Period, workflow_id: str | None
    ) -> list[RunTally]:
        sql = (
            "SELECT workflow_id, status, sum(count), sum(seconds) FROM kept_runs "
            "WHERE tenant_id = ? AND day >= ? AND day < ?"
        )
        params = [tenant_id, *kept_days(period)]
        if workflow_id is not None:
            sql += " AND workflow_id = ?"
            params.append(workflow_id)
        rows = self._all(sql + " GROUP BY workflow_id, status", *params)
        return [kept_tally(row[0], RunStatus(row[1]), row[2], row[3]) for row in rows]

    def variant_tallies(self, tenant_id: str, workflow_id: str) -> list[VariantTally]:
        rows = self._all(
            "SELECT v.key, v.value, count(*), count(runs.converted) FROM runs, "
            "json_each(CAST(runs.doc AS TEXT), '$.variants') AS v "
            f"WHERE runs.tenant_id = ? AND runs.workflow_id = ? AND {NOT_BRANCH} "
            "GROUP BY v.key, v.value",
            tenant_id,
            workflow_id,
        )
        return [VariantTally(*row) for row in rows]

    def live_run_counts(self) -> dict[RunStatus, int]:
        rows = self._all(
            "SELECT status, count(*) FROM runs WHERE status IN (?, ?, ?, ?) GROUP BY status",
            *UNFINISHED,
        )
        return {RunStatus(status): count for status, count in rows}

    def due_runs(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        rows = self._all(
            "SELECT tenant_id, run_id FROM runs WHERE status IN (?, ?, ?) AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            *LIVE,
            before.isoformat(),
            limit,
        )
        return [(row[0], row[1]) for row in rows]

    def failed_runs(
        self, since: datetime, until: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[Run]:
        last, run_id = (after[0].isoformat(), after[1]) if after else ("", "")
        # The status written out, not bound: so SQLite sees the query can use ``runs_ended``.
        rows = self._all(
            f"SELECT {RUNS.columns} FROM runs WHERE status = '{RunStatus.FAILED.value}' "
            "AND updated_at >= ? AND updated_at < ? "
            "AND (updated_at > ? OR (updated_at = ? AND run_id > ?)) "
            f"AND {NOT_BRANCH} ORDER BY updated_at, run_id LIMIT ?",
            since.isoformat(),
            until.isoformat(),
            last,
            last,
            run_id,
            limit,
        )
        return [RUNS.read(row) for row in rows]

    def armed_runs(self, after: tuple[datetime, str] | None, limit: int) -> list[ArmedRun]:
        since, run_id = (after[0].isoformat(), after[1]) if after else ("", "")
        rows = self._all(
            f"SELECT {RUNS.columns} FROM runs WHERE status IN (?, ?) "
            "AND (due_at > ? OR (due_at = ? AND run_id > ?)) ORDER BY due_at, run_id LIMIT ?",
            *TIMED,
            since,
            since,
            run_id,
            limit,
        )
        # A run's row: tenant id, run id, ..., due at (the sixth column), ...
        return [
            armed_run(row[0], row[1], datetime.fromisoformat(row[5]), partial(RUNS.read, row))
            for row in rows
        ]


def _index(where: RunFilter) -> str:
    """The index of a listing by time: the runs created in its range, sorted. With the
    planner's statistics, SQLite would rather walk every run of the tenant newest first,
    stopping at the page's last: cheaper when most runs are in range, every run read when
    none is (12 VM steps against 100,010 over 100,000 runs, bench/README.md)."""
    return "runs_created" if where.by_time else ""


def _filters(tenant_id: str, where: RunFilter) -> list[Filter]:
    return [
        ("tenant_id = ?", tenant_id),
        ("workflow_id = ?", where.workflow_id),
        (
            "workflow_id IN (SELECT value FROM json_each(?))",
            None if where.workflow_ids is None else orjson.dumps(list(where.workflow_ids)).decode(),
        ),
        ("status = ?", where.status),
        ("user_id = ?", where.user_id),
        ("created_at >= ?", where.since and where.since.isoformat()),
        ("created_at < ?", where.until and where.until.isoformat()),
    ]
