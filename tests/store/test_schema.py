"""Schema creation when several processes start at once on one store."""

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from app.clock import SystemClock
from app.models.retention import Kept
from app.store.mongo import MongoStore
from app.store.mongo.indexes import INDEXES
from app.store.mongo.store import create_indexes, drop_indexes
from app.store.rules import FINISHED_VALUES
from app.store.sqlite import SQLiteStore, schema
from app.store.sqlite.schema import ADDED_COLUMNS, ADDED_INDEXES, ENDED, REMADE_INDEXES, connect
from tests.clock import now
from tests.store.conftest import StandInClient

PROCESSES = 8
ROUNDS = 3
ROOT = Path(schema.__file__).parents[3]


# A process that opens the store's file and does nothing else: schema.py loaded on its own,
# not through its package (whose imports would take most of the time on a busy machine);
# run from the repository's root, where its own imports are found. It opens once a file
# says "go", so that every process opens at the same instant.
OPENER = """
import importlib.util, pathlib, sys, time
spec = importlib.util.spec_from_file_location("schema", sys.argv[1])
schema = importlib.util.module_from_spec(spec)
spec.loader.exec_module(schema)
go = pathlib.Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
schema.connect(pathlib.Path(sys.argv[2])).close()
"""


def race(path: Path) -> list[str]:
    """Open ``path`` from PROCESSES processes released at the same instant; what failed."""
    go = path.with_name("go")
    command = [sys.executable, "-c", OPENER, schema.__file__, str(path), str(go)]
    openers = [
        subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(PROCESSES)
    ]
    time.sleep(0.5)  # each has started and waits
    go.touch()
    failed = []
    for opener in openers:
        _, errors = opener.communicate(timeout=60)
        if opener.returncode != 0:
            failed.append(errors.strip().splitlines()[-1])
    return failed


def columns(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


ADDED = {table: {name for name, _ in columns} for table, columns in ADDED_COLUMNS.items()}


def index_columns(path: Path, index: str) -> tuple[str, ...]:
    with sqlite3.connect(path) as db:
        return tuple(row[2] for row in db.execute(f"PRAGMA index_info({index})"))


REMADE = {name: columns for name, (_, columns) in REMADE_INDEXES.items()}


def older_file(path: Path) -> Path:
    """A file from before the added columns (and the indexes on them), with the time index
    of runs as it was before it took run ids."""
    connect(path).close()
    with sqlite3.connect(path) as db:
        for index in re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)", ADDED_INDEXES):
            db.execute(f"DROP INDEX {index}")
        db.execute("DROP INDEX runs_created")
        db.execute("CREATE INDEX runs_created ON runs (tenant_id, created_at)")
        for table, names in ADDED.items():
            for name in names:
                db.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
    assert all(not names & columns(path, table) for table, names in ADDED.items())
    return path


@pytest.mark.parametrize("kind", ["new", "older"])
def test_processes_starting_at_once_on_one_sqlite_file_all_open_it(
    tmp_path: Path, kind: str
) -> None:
    """Every process sees the added columns missing (a new file is created without them,
    then extended); one adds each, none fails. The race is lost only some of the time, so
    it is run a few times."""
    for round in range(ROUNDS):
        path = tmp_path / f"store-{round}.db"
        if kind == "older":
            older_file(path)
        assert race(path) == []
        assert all(names <= columns(path, table) for table, names in ADDED.items())
        assert all(index_columns(path, name) == want for name, want in REMADE.items())


async def test_stores_opening_at_once_on_one_mongo_database_all_open_it() -> None:
    """On the stand-in (no MongoDB server here): every index is in place after eight opens at
    once."""
    client = StandInClient(tz_aware=True)
    name = f"automator_test_{uuid.uuid4().hex[:8]}"
    await asyncio.gather(*(MongoStore.open(client, name, SystemClock()) for _ in range(PROCESSES)))
    store = await MongoStore.open(client, name, SystemClock())
    indexes = await store._db["runs"].index_information()
    assert len(indexes) == len(INDEXES["runs"]) + 1  # and _id's


async def test_stores_opening_at_once_drop_the_time_index_the_longer_one_serves() -> None:
    """On the stand-in: a database of an earlier version, whose runs had an index of
    (tenant_id, created_at) alone, keeps only (tenant_id, created_at, run_id)."""
    client = StandInClient(tz_aware=True)
    name = f"automator_test_{uuid.uuid4().hex[:8]}"
    await client[name]["runs"].create_index([("tenant_id", 1), ("created_at", 1)])
    await asyncio.gather(*(MongoStore.open(client, name, SystemClock()) for _ in range(PROCESSES)))
    indexes = await client[name]["runs"].index_information()
    assert "tenant_id_1_created_at_1" not in indexes
    assert list(indexes["tenant_id_1_created_at_1_run_id_1"]["key"]) == [
        ("tenant_id", 1),
        ("created_at", 1),
        ("run_id", 1),
    ]


class DroppedElsewhere:
    """A stand-in collection whose index another process drops first: MongoDB answers
    IndexNotFound (code 27) to the second drop."""

    def __init__(self) -> None:
        self.dropped = False

    async def index_information(self) -> dict[str, Any]:
        return {} if self.dropped else {"tenant_id_1_created_at_1": {}}

    async def drop_index(self, name: str) -> None:
        self.dropped = True  # by the other process, a moment before
        raise OperationFailure("index not found with name", code=27)


async def test_an_index_another_process_dropped_first_is_not_an_error() -> None:
    collection = DroppedElsewhere()
    await drop_indexes(collection, ["tenant_id_1_created_at_1"])  # type: ignore[arg-type]
    assert collection.dropped


class BuildingElsewhere:
    """A stand-in collection whose server is building the same indexes for another process
    (MongoDB answers IndexBuildAlreadyInProgress, code 285) for the first ``busy`` calls."""

    def __init__(self, busy: int) -> None:
        self.busy, self.calls = busy, 0

    async def create_indexes(self, indexes: Any) -> list[str]:
        self.calls += 1
        if self.calls <= self.busy:
            raise OperationFailure("index build already in progress", code=285)
        return []


async def test_an_index_build_under_way_in_another_process_is_waited_for() -> None:
    collection = BuildingElsewhere(busy=2)
    await create_indexes(collection, INDEXES["runs"], pause=0)  # type: ignore[arg-type]
    assert collection.calls == 3


async def test_another_index_failure_is_not_swallowed() -> None:
    class Conflicting(BuildingElsewhere):
        async def create_indexes(self, indexes: Any) -> list[str]:
            raise OperationFailure("an index of that name differs", code=86)

    with pytest.raises(OperationFailure):
        await create_indexes(Conflicting(0), INDEXES["runs"], pause=0)  # type: ignore[arg-type]


def test_an_sqlite_older_than_the_statements_need_is_refused_on_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a Python linked against SQLite 3.31 (Ubuntu 20.04's): its library cannot
    # be loaded here, so only the version it reports is replaced.
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    with pytest.raises(sqlite3.NotSupportedError) as refused:
        connect(tmp_path / "automator.db")
    assert "needs SQLite 3.35.0 or newer" in str(refused.value)
    assert "links SQLite 3.31.1" in str(refused.value)
    assert "AUTOMATOR_MONGODB_URL" in str(refused.value)
    assert not (tmp_path / "automator.db").exists()


def indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_ended_runs_condition_names_every_status_a_run_ends_in() -> None:
    assert set(re.findall(r"status = '(\w+)'", ENDED)) == set(FINISHED_VALUES)


def test_an_older_files_index_of_every_runs_update_gives_way_to_the_ended_runs(
    tmp_path: Path,
) -> None:
    path = older_file(tmp_path / "store.db")
    with sqlite3.connect(path) as db:
        db.execute("CREATE INDEX runs_updated ON runs (updated_at)")
    connect(path).close()
    assert "runs_updated" not in indexes(path)
    assert "runs_ended" in indexes(path)


def test_an_older_files_time_index_of_runs_is_remade_with_run_ids_under_its_name(
    tmp_path: Path,
) -> None:
    """A process of the earlier version still running names the index (INDEXED BY): it
    reads through it before the upgrade, and after."""
    path = older_file(tmp_path / "store.db")
    earlier = sqlite3.connect(path)
    listing = (
        "SELECT run_id FROM runs INDEXED BY runs_created "
        "WHERE tenant_id = 'acme' AND created_at >= '' ORDER BY run_id DESC"
    )
    try:
        assert earlier.execute(listing).fetchall() == []
        connect(path).close()
        assert index_columns(path, "runs_created") == ("tenant_id", "created_at", "run_id")
        assert earlier.execute(listing).fetchall() == []
    finally:
        earlier.close()


async def test_the_purge_and_the_failed_runs_sweep_read_the_ended_runs_index(
    tmp_path: Path,
) -> None:
    """Only their status conditions written as the partial index's let SQLite use it: a
    change to either query that loses it turns each into a walk of every ended run."""
    store = await SQLiteStore.open(tmp_path / "store.db", SystemClock())
    statements: list[str] = []
    store._database._db.set_trace_callback(statements.append)
    try:
        await store.purge_batch(Kept.RUNS, now(), 10, None)
        await store.purge_batch(Kept.RUNS, now(), 10, None, skip=["acme"])
        await store.failed_runs(now() - timedelta(days=1), now(), None, 10)
    finally:
        await store.close()
    reads = [sql for sql in statements if sql.startswith("SELECT") and "FROM runs WHERE" in sql]
    assert len(reads) == 3
    with sqlite3.connect(tmp_path / "store.db") as db:
        for sql in reads:
            plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING INDEX runs_ended" in plan, (sql, plan)
