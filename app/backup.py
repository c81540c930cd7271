"""Backing up and restoring the embedded store (one SQLite file).

The backup uses SQLite's online backup API, so it is a consistent copy of the database at
one moment even while the service writes to it (in WAL mode, writers go on meanwhile; the
copy starts again if a page it copied changes under it). A restore checks the file first (it
opens, passes ``PRAGMA integrity_check`` and holds Automator's tables), then copies it into
place with the same API and removes the old write-ahead log.
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

# A backup copies this many pages at a time, so a busy service is never held up long.
PAGES_PER_STEP = 1024
REQUIRED_TABLES = frozenset({"workflows", "workflow_versions", "runs", "events", "tenants"})


class BackupError(Exception):
    """The copy cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    bytes: int
    workflows: int
    runs: int


def backup(database: Path, out: Path) -> Copied:
    """A consistent copy of ``database`` at ``out`` (which must not exist yet)."""
    if not database.exists():
        raise BackupError(f"no embedded store at {database}: is AUTOMATOR_DATA_DIR right?")
    if out.exists():
        raise BackupError(f"{out} exists; choose a new file (a backup never overwrites one)")
    _copy(database, out)
    return check(out)


def restore(backup_file: Path, database: Path) -> Copied:
    """Replace ``database`` with ``backup_file`` (checked first). Every process using the
    database must be stopped."""
    copied = check(backup_file)
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    _copy(backup_file, database)
    return Copied(database, database.stat().st_size, copied.workflows, copied.runs)


def _copy(source_file: Path, target_file: Path) -> None:
    """Copy one SQLite database onto another with the online backup API, readable by the
    owner only (it holds every tenant's data)."""
    target_file.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_file)
    try:
        source.backup(target, pages=PAGES_PER_STEP)
    finally:
        target.close()
        source.close()
    target_file.chmod(0o600)


def check(path: Path) -> Copied:
    """What a backup holds; BackupError unless it is a whole Automator store."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            missing = REQUIRED_TABLES - tables
            if verdict != "ok" or missing:
                why = verdict if verdict != "ok" else f"no {', '.join(sorted(missing))} table"
                raise BackupError(f"{path} is not a sound Automator store: {why}")
            workflows = db.execute("SELECT count(*) FROM workflows").fetchone()[0]
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from None
    return Copied(path, path.stat().st_size, int(workflows), int(runs))
