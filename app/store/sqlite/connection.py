"""The open SQLite file, as every domain's methods use it: transactions, and the shared reads
(a record by its key, a page of records, records in order)."""

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar

from app.clock import Clock
from app.models.profile import MAX_BYTES
from app.models.workflow import Page
from app.sqlite_file import sqlite_errors
from app.store.sqlite.rows import Table
from app.store.sqlite.schema import connect, variable_limit

R = TypeVar("R")
T = TypeVar("T")
# A condition with one "?" and the value bound to it, or with several and a tuple of their
# values; a None value leaves the condition out.
Filter = tuple[str, Any]
# How many rows ``_write_rows`` puts in one statement, largest first: a handful of statement
# texts per table, each prepared once and kept in the connection's cache.
ROWS_PER_STATEMENT = (256, 64, 16, 4, 1)
# Seconds between the statistics' refreshes of a connection that stays open (SQLite's docs:
# "perhaps once per day or once per hour"), and once more as it closes.
OPTIMIZE_EVERY = 3600.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one call of a group came to: its result, or the exception it raised."""

    result: Any = None
    error: Exception | None = None


class Connection:
    """The synchronous store's connection, used from one thread only (SQLiteStore's)."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        profile_max_bytes: int = MAX_BYTES,
        keys: Sequence[str] = (),
    ) -> None:
        self._clock = clock
        self._profile_max_bytes = profile_max_bytes
        self._db = connect(path, keys)
        self._most_values = variable_limit(self._db)
        self._optimized_at = clock.monotonic()

    def close(self) -> None:
        self._optimize()
        self._db.close()

    def _optimize(self) -> None:
        """Refresh the planner's statistics of the tables this connection has queried, where
        they are missing or out of date (``PRAGMA optimize``: a few milliseconds, nothing when
        they are current)."""
        self._optimized_at = self._clock.monotonic()
        try:
            self._db.execute("PRAGMA optimize")
        except sqlite_errors() as exc:  # the file busy past the timeout: the next time will do
            log.warning("the store's statistics were not refreshed: %s", exc)

    def ping(self) -> None:
        self._db.execute("SELECT 1")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction; inside another (a group commit's), a savepoint of it, so a call
        that fails undoes its own writes and nobody else's."""
        if self._db.in_transaction:
            with self._savepoint():
                yield self._db
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled it back already
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT call")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:  # SQLite may have rolled back the whole transaction
                self._db.execute("ROLLBACK TO call")
                self._db.execute("RELEASE call")
            raise
        self._db.execute("RELEASE call")

    def hop(
        self, alone: Sequence[Callable[[], Any]], grouped: Sequence[Callable[[], Any]]
    ) -> tuple[list[Outcome], list[Outcome]]:
        """The calls one hop to the store's thread brings: ``alone`` one by one (each its
        own transaction, as it opens one), then ``grouped`` together (``together``)."""
        singles = [outcome(call) for call in alone]
        together = (
            [outcome(call) for call in grouped] if len(grouped) < 2 else self.together(grouped)
        )
        if self._clock.monotonic() - self._optimized_at >= OPTIMIZE_EVERY:
            self._optimize()
        return singles, together

    def together(self, calls: Sequence[Callable[[], Any]]) -> list[Outcome]:
        """Each call's outcome (its result or its exception), the calls' writes committed in
        one transaction: one disk sync for them all instead of one each. Each call runs in
        a savepoint, so one that fails leaves the others' writes whole; if the transaction
        itself fails (the commit, or an error that makes SQLite roll it all back), every call
        gets that error, so no caller hears of a write that was not kept."""
        with self._journal_in_memory():
            return self._commit_together(calls)

    def _commit_together(self, calls: Sequence[Callable[[], Any]]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for call in calls:
                try:
                    with self._savepoint():
                        outcomes.append(Outcome(call()))
                except Exception as exc:  # the caller gets it; the others go on
                    outcomes.append(Outcome(error=exc))
                if not self._db.in_transaction:
                    raise sqlite3.OperationalError("the group's transaction was rolled back")
            self._db.execute("COMMIT")
        except Exception as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            return [Outcome(error=exc)] * len(calls)
        return outcomes

    @contextmanager
    def _journal_in_memory(self) -> Iterator[None]:
        """The savepoints of the transactions begun inside keep their pages' originals in
        memory. SQLite spills that journal to a new file in /var/tmp past 64 KB, which a
        group's savepoints reached: a file created, written and deleted per group commit.
        Outside, temporary storage is files again: a sort in memory grows with the table
        (124 MB more for a GROUP BY of 2 million rows). Each switch drops the connection's
        TEMP tables and triggers; the store makes none."""
        self._db.execute("PRAGMA temp_store=MEMORY")
        try:
            yield
        finally:
            self._db.execute("PRAGMA temp_store=DEFAULT")

    def _write_rows(self, insert: str, rows: Iterable[Sequence[Any]], conflict: str = "") -> None:
        """``INSERT ... VALUES (...), (...) ...`` of ``rows`` (each a value per column of
        ``insert``), up to a few hundred rows a statement: ``executemany`` steps and resets
        its statement once a row, and lets go of the GIL at each step, which cost more than
        SQLite's own work for a batch's events. ``conflict``: the statement's ON CONFLICT
        clause. The rows are taken a statement's worth at a time, so a generator's are made
        as they are written: orjson gives each document it makes a buffer of 4 KB or more,
        and a batch's rows made whole before the first statement held tens of megabytes."""
        taken = iter(rows)
        while some := list(islice(taken, ROWS_PER_STATEMENT[0])):
            self._write_some(insert, some, conflict)

    def _write_some(self, insert: str, rows: list[Sequence[Any]], conflict: str) -> None:
        width = len(rows[0])
        # The rows a statement may hold: SQLite binds at most 32,766 values a statement since
        # 3.32, 999 before (and in builds that keep that bound), fewer than 256 rows of 4.
        most = self._most_values // width
        start = 0
        for size in ROWS_PER_STATEMENT:
            if size > most:
                continue
            while len(rows) - start >= size:
                values = chain.from_iterable(rows[start : start + size])
                self._db.execute(_statement(insert, width, size, conflict), [*values])
                start += size

    def _in_one_pass(
        self, items: Sequence[T], whole: Callable[[Sequence[T]], list[Any]], one: Callable[[T], Any]
    ) -> list[Outcome]:
        """What ``one`` gives each item, as if called one after the other, but from one call
        of ``whole`` over them all while it does not fail (a group commit's hot path: one
        statement or one read for many calls instead of one each). ``whole`` undoes its own
        writes when it fails (a savepoint of its own); each item then goes again on its own,
        so only the one at fault fails.

        Outside a transaction (the pass is its hop's only write), it opens one for them all
        first: a failure to begin or commit (the file locked past the busy timeout) is then
        every item's at once, not each item's to wait for again in turn."""
        if len(items) > 1 and not self._db.in_transaction:
            (done,) = self.together([partial(self._in_one_pass, items, whole, one)])
            return [done] * len(items) if done.error is not None else list(done.result)
        outer = self._db.in_transaction
        if len(items) > 1:
            try:
                return [Outcome(result) for result in whole(items)]
            except Exception:
                if outer and not self._db.in_transaction:
                    raise  # SQLite rolled back the group's whole transaction: nothing was kept
        outcomes = []
        for item in items:
            try:
                outcomes.append(Outcome(one(item)))
            except Exception as exc:
                if outer and not self._db.in_transaction:
                    # Rolled back whole: the calls after it would commit on their own, yet
                    # every caller hears of the group's failure and may send them again.
                    raise
                outcomes.append(Outcome(error=exc))
        return outcomes

    def _one(self, sql: str, *params: Any) -> Any:
        return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, *params: Any) -> list[Any]:
        return self._db.execute(sql, params).fetchall()

    def _select(
        self,
        table: Table[R],
        filters: Sequence[Filter],
        order: str = "",
        limit: int | None = None,
        *,
        index: str = "",
    ) -> list[R]:
        """The table's records matching every filter, in ``order``, at most ``limit``, read
        through ``index`` when one is named."""
        where, params = _where(filters)
        sql = f"SELECT {table.columns} FROM {_source(table.name, index)}{where}"
        if order:
            sql += f" ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [table.read(row) for row in self._all(sql, *params)]

    def _count(self, table: str, filters: Sequence[Filter], *, index: str = "") -> int:
        """How many rows of the table match every filter, read through ``index`` when one
        is named."""
        where, params = _where(filters)
        return int(self._one(f"SELECT count(*) FROM {_source(table, index)}{where}", *params)[0])

    def _find(self, table: Table[R], /, **key: Any) -> R | None:
        """The record whose columns hold these values, None if there is none."""
        found = self._select(table, [(f"{column} = ?", value) for column, value in key.items()])
        return found[0] if found else None

    def _get_one(self, table: Table[R], missing: Callable[[], Exception], /, **key: Any) -> R:
        """The record whose columns hold these values; ``missing()`` is raised if none."""
        found = self._find(table, **key)
        if found is None:
            raise missing()
        return found

    def _page(
        self,
        table: Table[R],
        page: Page,
        by: str,
        *filters: Filter,
        newest_first: bool = False,
        index: str = "",
    ) -> list[R]:
        """A page of the matching records ordered by the unique column ``by``: ascending from
        after ``page.after``, or descending from before it (read through ``index`` when one
        is named)."""
        after = (f"{by} < ?", page.after) if newest_first else (f"{by} > ?", page.after or "")
        order = f"{by} DESC" if newest_first else by
        return self._select(table, [*filters, after], order, page.limit, index=index)

    def _delete(self, table: str, missing: Callable[[], Exception], /, **key: Any) -> None:
        """Delete the row whose columns hold these values; ``missing()`` is raised if none."""
        where = " AND ".join(f"{column} = ?" for column in key)
        with self._transaction() as db:
            deleted = db.execute(f"DELETE FROM {table} WHERE {where}", tuple(key.values()))
        if deleted.rowcount == 0:
            raise missing()


@lru_cache(maxsize=64)
def _statement(insert: str, width: int, rows: int, conflict: str) -> str:
    row = f"({', '.join('?' * width)})"
    return f"{insert} VALUES {', '.join([row] * rows)} {conflict}"


def _source(table: str, index: str) -> str:
    """``table``, through ``index`` when one is named: a plan that the planner's statistics
    (``PRAGMA optimize``) cannot change."""
    return f"{table} INDEXED BY {index}" if index else table


def _where(filters: Sequence[Filter]) -> tuple[str, list[Any]]:
    """A WHERE clause of the filters whose value is not None, and its parameters."""
    kept = [(condition, value) for condition, value in filters if value is not None]
    if not kept:
        return "", []
    params = [v for _, value in kept for v in (value if isinstance(value, tuple) else (value,))]
    return " WHERE " + " AND ".join(condition for condition, _ in kept), params


def outcome(call: Callable[[], Any]) -> Outcome:
    """What ``call()`` comes to: its result, or the exception it raised."""
    try:
        return Outcome(call())
    except Exception as exc:  # the caller gets it
        return Outcome(error=exc)
